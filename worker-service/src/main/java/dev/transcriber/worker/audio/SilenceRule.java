package dev.transcriber.worker.audio;

import dev.transcriber.common.store.ChunkingStrategy;
import java.time.Duration;

/**
 * What the cutter counts as a silence it may cut in: samples quieter than {@code thresholdDb} (dBFS) for at least
 * {@code minSilence}. By default {@code transcriber.chunking.silence-threshold-db} and {@code min-silence}; a job that
 * sent a {@code server_vad} {@code chunking_strategy} gets its own, so where the gateway cuts long audio itself it
 * honours what the caller asked of OpenAI's cutter:
 *
 * <ul>
 *   <li>{@code silence_duration_ms} is the shortest silence, as is.
 *   <li>{@code threshold} (0 to 1, OpenAI's voice-activity sensitivity: higher needs louder audio to count as speech)
 *       maps linearly onto {@value #QUIETEST_DB} to {@value #LOUDEST_DB} dBFS: 0 counts only near-digital silence as
 *       silence, 1 anything under -10 dBFS, and OpenAI's default 0.5 lands on -35 dBFS, the cutter's own default.
 *   <li>{@code prefix_padding_ms} has no counterpart: the cutter cuts in the middle of a silence, so speech keeps
 *       half the silence before it either way. {@code auto}, or a key left out, keeps the configured value.
 * </ul>
 */
public record SilenceRule(double thresholdDb, Duration minSilence) {

    static final double QUIETEST_DB = -60;
    static final double LOUDEST_DB = -10;

    public static SilenceRule of(ChunkingProperties properties, ChunkingStrategy strategy) {
        double threshold = properties.silenceThresholdDb();
        Duration silence = properties.minSilence();
        if (strategy != null && !strategy.isAuto()) {
            if (strategy.threshold() != null) {
                threshold = QUIETEST_DB + (LOUDEST_DB - QUIETEST_DB) * strategy.threshold();
            }
            if (strategy.silenceDurationMs() != null) {
                silence = Duration.ofMillis(strategy.silenceDurationMs());
            }
        }
        return new SilenceRule(threshold, silence);
    }
}
