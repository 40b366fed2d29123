package dev.transcriber.worker.diarization;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a diarized job cut into pieces keeps its speaker labels. The first piece runs alone; the reference clips of the
 * voices it heard go with the next pieces, which run {@code wave-size} at a time: each wave waits for the one before
 * it (a voice first heard in a wave is known to the waves after it, not to the other pieces of its own wave).
 *
 * @param waveSize How many pieces after the first run at once. 1: one at a time, so every voice keeps one label
 *     wherever it is first heard; more: faster, but a voice first heard in two pieces of the same wave gets two labels.
 */
@ConfigurationProperties("transcriber.diarization")
public record DiarizationProperties(@DefaultValue("1") int waveSize) {

    public DiarizationProperties {
        if (waveSize < 1) {
            throw new IllegalArgumentException("transcriber.diarization.wave-size must be at least 1");
        }
    }

    /** The wave piece {@code index} runs in: 0 for the first piece, then {@code wave-size} pieces a wave. */
    public int wave(int index) {
        return index == 0 ? 0 : 1 + (index - 1) / waveSize;
    }

    /** The index of the first piece of wave {@code wave}: every piece before it must be done for the wave to start. */
    public int firstOf(int wave) {
        return wave == 0 ? 0 : 1 + (wave - 1) * waveSize;
    }
}
