package dev.transcriber.worker.audio;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds silences in 16-bit mono PCM as it streams past, by the rule of ffmpeg's {@code silencedetect}: every
 * sample quieter than the threshold (dBFS) for at least the minimum length. Running on the samples the pieces are
 * cut from, it gives silence positions to the sample, and costs the decoder no extra stage.
 */
final class SilenceDetector {

    private final int threshold;
    private final long minSamples;
    private final List<PiecePlanner.Silence> silences = new ArrayList<>();
    private long position;
    private long quietSince = -1;

    SilenceDetector(double thresholdDb, long minSamples) {
        this.threshold = (int) Math.round(32768 * Math.pow(10, thresholdDb / 20));
        this.minSamples = minSamples;
    }

    /** Takes the next {@code length} bytes of little-endian samples from {@code pcm}. */
    void accept(byte[] pcm, int length) {
        for (int i = 0; i + 1 < length; i += 2) {
            int sample = (short) ((pcm[i] & 0xff) | (pcm[i + 1] << 8));
            boolean quiet = sample < threshold && sample > -threshold;
            if (quiet && quietSince < 0) {
                quietSince = position;
            } else if (!quiet && quietSince >= 0) {
                close(position);
            }
            position++;
        }
    }

    /** The audio ended: a silence still going on ends with it. */
    void end() {
        if (quietSince >= 0) {
            close(position);
        }
    }

    private void close(long end) {
        if (end - quietSince >= minSamples) {
            silences.add(new PiecePlanner.Silence(quietSince, end));
        }
        quietSince = -1;
    }

    List<PiecePlanner.Silence> silences() {
        return silences;
    }

    /** Where the quiet going on now began (it may yet become a silence), or -1. */
    long openSilenceStart() {
        return quietSince;
    }

    long samples() {
        return position;
    }
}
