package dev.transcriber.worker.audio;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.ChunkingStrategy;
import dev.transcriber.common.transcript.PieceSpan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;

/**
 * Cuts long audio into pieces. One pass streams the stored audio (the worker's local copy, or over a presigned URL for
 * audio larger than one call) and decodes it in-process ({@link AudioDecoder}) to 16 kHz mono PCM, which is kept in a
 * scratch file and searched for silences as it arrives; each piece is cut from that file at exact sample positions
 * (so its offset in the whole is known to the sample), stored as WAV and handed on as soon as it is settled, while
 * decoding goes on.
 */
@Component
public class AudioSplitter {

    public static final int SAMPLE_RATE = PcmWav.SAMPLE_RATE;
    private static final int BYTES_PER_SAMPLE = PcmWav.BYTES_PER_SAMPLE;
    private static final int WAV_HEADER = PcmWav.HEADER_BYTES;

    private final AudioDecoder decoder;
    private final ObjectStore store;
    private final ChunkingProperties properties;

    AudioSplitter(AudioDecoder decoder, ObjectStore store, ChunkingProperties properties) {
        this.decoder = decoder;
        this.store = store;
        this.properties = properties;
    }

    /** A piece as stored: its object, its size in bytes, and where it lies in the whole. */
    public record StoredPiece(int index, String objectKey, long sizeBytes, PieceSpan span) {}

    /** The pieces of the audio at {@code url}, stored under {@code jobId}, and the audio's exact length. */
    public record Split(List<StoredPiece> pieces, double durationSeconds) {}

    /**
     * The longest a piece may be, in seconds, for audio of {@code durationSeconds}: under the model's caps (the
     * byte cap counted for 16 kHz WAV), and short enough to spread the audio over {@code parallelism} calls.
     */
    public double maxPieceSeconds(double durationSeconds, Double modelMaxSeconds, long modelMaxBytes) {
        double spread = Math.max(seconds(properties.minPiece()), durationSeconds / properties.parallelism());
        return Math.min(capSeconds(modelMaxSeconds, modelMaxBytes), spread);
    }

    /** The most one piece may hold: the model's caps (bytes counted as 16 kHz WAV) and {@code max-piece}. */
    private double capSeconds(Double modelMaxSeconds, long modelMaxBytes) {
        double byBytes = (modelMaxBytes * 0.98 - WAV_HEADER) / (SAMPLE_RATE * BYTES_PER_SAMPLE);
        double cap = Math.min(byBytes, modelMaxSeconds == null ? Double.MAX_VALUE : modelMaxSeconds);
        if (!properties.maxPiece().isZero()) {
            cap = Math.min(cap, seconds(properties.maxPiece()));
        }
        return cap;
    }

    /**
     * Cuts the audio at {@code audioUrl} while it is decoded: each piece is stored and handed to {@code onPiece} as
     * soon as it is settled, so the first pieces are transcribed while the rest is still being decoded. Returns the
     * pieces and the audio's exact length once all of it is cut.
     */
    public Split split(
            JobId jobId,
            String audioUrl,
            Double probedSeconds,
            Double modelMaxSeconds,
            long modelMaxBytes,
            Consumer<StoredPiece> onPiece) {
        return split(jobId, audioUrl, probedSeconds, modelMaxSeconds, modelMaxBytes, null, onPiece);
    }

    /** As above, with the silences the job's {@code chunking_strategy} asks for ({@link SilenceRule}). */
    public Split split(
            JobId jobId,
            String audioUrl,
            Double probedSeconds,
            Double modelMaxSeconds,
            long modelMaxBytes,
            ChunkingStrategy strategy,
            Consumer<StoredPiece> onPiece) {
        SilenceRule rule = SilenceRule.of(properties, strategy);
        double cap = capSeconds(modelMaxSeconds, modelMaxBytes);
        // Cutting at pauses makes pieces a little shorter than their limit: 10% of slack keeps their number within
        // the parallelism.
        double target = probedSeconds == null ? cap : maxPieceSeconds(probedSeconds, modelMaxSeconds, modelMaxBytes);
        long maxSamples = samples(Math.min(cap, target * 1.1));
        PiecePlanner planner = new PiecePlanner(
                maxSamples,
                Math.min(maxSamples / 2, samples(seconds(properties.minPiece()) / 2)),
                samples(seconds(properties.overlap())));
        SilenceDetector detector = new SilenceDetector(rule.thresholdDb(), samples(seconds(rule.minSilence())));
        Path scratch = null;
        try (ExecutorService uploads = Executors.newVirtualThreadPerTaskExecutor()) {
            try {
                Path folder = Files.createDirectories(properties.scratchFolder());
                scratch = Files.createTempFile(folder, "transcriber-" + jobId, ".pcm");
                List<Future<StoredPiece>> stored = new ArrayList<>();
                Path pcm = scratch;
                Consumer<PiecePlanner.PlannedPiece> store = piece -> stored.add(uploads.submit(() -> {
                    StoredPiece done = storePiece(jobId, pcm, piece);
                    onPiece.accept(done);
                    return done;
                }));
                decode(audioUrl, scratch, detector, planner, store);
                long total = detector.samples();
                if (total == 0) {
                    throw new InvalidAudioException("The audio file contains no audio samples.");
                }
                Optional<PiecePlanner.PlannedPiece> next;
                while ((next = planner.next(total, detector.silences(), -1)).isPresent()) {
                    store.accept(next.get());
                }
                store.accept(planner.last(total));
                List<StoredPiece> pieces = new ArrayList<>();
                for (Future<StoredPiece> future : stored) {
                    pieces.add(future.get());
                }
                return new Split(pieces, total / (double) SAMPLE_RATE);
            } catch (Exception e) {
                // the cut ends here (interrupted: its job given up): pieces still being stored or recorded are
                // interrupted, not waited for (a record waits out a database outage for up to a minute and a half)
                uploads.shutdownNow();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not cut the audio of job " + jobId, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new UncheckedIOException(new IOException(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while cutting the audio of job " + jobId, e);
        } finally {
            if (scratch != null) {
                try {
                    Files.deleteIfExists(scratch);
                } catch (IOException ignored) {
                    // a scratch file in the scratch folder (an emptyDir in k8s): gone with the pod at the latest
                }
            }
        }
    }

    /** Decodes into {@code pcm}, finding silences and settling pieces on the way. */
    private void decode(
            String audioUrl,
            Path pcm,
            SilenceDetector detector,
            PiecePlanner planner,
            Consumer<PiecePlanner.PlannedPiece> onPiece)
            throws IOException {
        try (OutputStream out = Files.newOutputStream(pcm, StandardOpenOption.APPEND)) {
            decoder.decode(audioUrl, (samples, length) -> {
                out.write(samples, 0, length);
                detector.accept(samples, length);
                Optional<PiecePlanner.PlannedPiece> next;
                while ((next = planner.next(detector.samples(), detector.silences(), detector.openSilenceStart()))
                        .isPresent()) {
                    onPiece.accept(next.get());
                }
            });
            detector.end();
        }
    }

    private StoredPiece storePiece(JobId jobId, Path pcm, PiecePlanner.PlannedPiece piece) throws IOException {
        String key = ObjectKeys.piece(jobId, piece.index());
        long dataBytes = piece.length() * BYTES_PER_SAMPLE;
        try (FileChannel channel = FileChannel.open(pcm, StandardOpenOption.READ)) {
            channel.position(piece.start() * BYTES_PER_SAMPLE);
            InputStream data = new BoundedInputStream(Channels.newInputStream(channel), dataBytes);
            InputStream wav = new SequenceInputStream(new ByteArrayInputStream(PcmWav.header(dataBytes)), data);
            store.put(key, wav, WAV_HEADER + dataBytes, "audio/wav");
        }
        PieceSpan span = new PieceSpan(
                piece.start() / (double) SAMPLE_RATE,
                piece.length() / (double) SAMPLE_RATE,
                piece.ownsFrom() / (double) SAMPLE_RATE,
                piece.ownsUntil() / (double) SAMPLE_RATE);
        return new StoredPiece(piece.index(), key, WAV_HEADER + dataBytes, span);
    }

    private static long samples(double seconds) {
        return Math.round(seconds * SAMPLE_RATE);
    }

    private static double seconds(java.time.Duration duration) {
        return duration.toNanos() / 1e9;
    }

    /** Reads at most {@code limit} bytes of {@code in}. */
    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
