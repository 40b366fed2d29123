package dev.transcriber.worker.audio;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long audio is cut. Audio longer than a model's per-call caps is always cut; audio longer than
 * {@code min-piece} is also cut into up to {@code parallelism} pieces so they are transcribed at once (a 40-minute
 * episode into 8 pieces of 5 minutes, not 2 of 20). Set {@code parallelism} to 1 to cut only what the caps demand.
 * {@code max-piece} (0: none) caps a piece below the model's caps. Silences are stretches quieter than
 * {@code silence-threshold-db} for at least {@code min-silence}; without one, pieces overlap by {@code overlap}. The
 * audio is decoded to a scratch file per job in {@code scratch-dir} ({@code TRANSCRIBER_SCRATCH_DIR}; empty: the JVM's
 * temp folder), created if missing: 32 KB per second of audio, about 115 MB an hour, removed when the cut ends.
 *
 * @param parallelism How many pieces audio longer than {@code minPiece} is cut into, to be transcribed at once; 1 cuts
 *     only what the model's caps demand.
 * @param minPiece Audio up to this long is never cut for parallelism (only for the model's caps).
 * @param maxPiece The longest piece, below the model's caps; 0: no cap of our own.
 * @param overlap How much consecutive pieces overlap where no silence fits.
 * @param silenceThresholdDb Samples quieter than this (dBFS) count as silence.
 * @param minSilence The shortest silence a cut may fall in.
 * @param scratchDir Where audio is decoded to while it is cut (32 KB per second of audio, removed after); empty: the
 *     JVM's temp folder.
 */
@ConfigurationProperties("transcriber.chunking")
public record ChunkingProperties(
        @DefaultValue("8") int parallelism,
        @DefaultValue("60s") Duration minPiece,
        @DefaultValue("0s") Duration maxPiece,
        @DefaultValue("2s") Duration overlap,
        @DefaultValue("-35") double silenceThresholdDb,
        @DefaultValue("400ms") Duration minSilence,
        @DefaultValue("") String scratchDir) {

    /** The folder scratch files go in. */
    public Path scratchFolder() {
        return scratchDir == null || scratchDir.isBlank()
                ? Path.of(System.getProperty("java.io.tmpdir"))
                : Path.of(scratchDir);
    }
}
