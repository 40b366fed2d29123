package dev.transcriber.worker.audio;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.PieceSpan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * Cuts long audio into pieces. One ffmpeg pass streams the stored audio (over a presigned URL), decodes it to 16 kHz
 * mono PCM in a scratch file and finds the silences on the way; the pieces are then cut from that file at exact
 * sample positions, so each piece's offset in the whole is known to the sample, and stored as WAV.
 */
@Component
public class AudioSplitter {

    public static final int SAMPLE_RATE = 16_000;
    private static final int BYTES_PER_SAMPLE = 2;
    private static final int WAV_HEADER = 44;
    private static final Pattern SILENCE_START = Pattern.compile("silence_start: (-?[0-9.]+)");
    private static final Pattern SILENCE_END = Pattern.compile("silence_end: (-?[0-9.]+)");

    private final Ffmpeg ffmpeg;
    private final ObjectStore store;
    private final ChunkingProperties properties;

    AudioSplitter(Ffmpeg ffmpeg, ObjectStore store, ChunkingProperties properties) {
        this.ffmpeg = ffmpeg;
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

    public Split split(JobId jobId, String audioUrl, Double modelMaxSeconds, long modelMaxBytes) {
        Path scratch = null;
        try {
            scratch = Files.createTempFile("transcriber-" + jobId, ".pcm");
            List<double[]> silences = decode(audioUrl, scratch);
            long totalSamples = Files.size(scratch) / BYTES_PER_SAMPLE;
            if (totalSamples == 0) {
                throw new InvalidAudioException("The audio file contains no audio samples.");
            }
            double duration = totalSamples / (double) SAMPLE_RATE;
            List<PiecePlanner.Silence> pauses = silences.stream()
                    .map(s -> new PiecePlanner.Silence(samples(s[0]), samples(s[1])))
                    .toList();
            long capSamples = (long) (capSeconds(modelMaxSeconds, modelMaxBytes) * SAMPLE_RATE);
            long maxSamples = (long) (maxPieceSeconds(duration, modelMaxSeconds, modelMaxBytes) * SAMPLE_RATE);
            List<PiecePlanner.PlannedPiece> plan = plan(totalSamples, pauses, maxSamples);
            // Cutting at pauses makes pieces a little shorter than the limit, which can leave one piece more than
            // there are parallel calls (and a second round for it): lengthen the pieces a little while allowed.
            while (plan.size() > properties.parallelism() && maxSamples < capSamples) {
                maxSamples = Math.min(capSamples, (long) (maxSamples * 1.05));
                plan = plan(totalSamples, pauses, maxSamples);
            }
            return new Split(store(jobId, scratch, plan), duration);
        } catch (IOException e) {
            throw new UncheckedIOException("could not cut the audio of job " + jobId, e);
        } finally {
            if (scratch != null) {
                try {
                    Files.deleteIfExists(scratch);
                } catch (IOException ignored) {
                    // a scratch file in the temp folder; the OS cleans it eventually
                }
            }
        }
    }

    private List<PiecePlanner.PlannedPiece> plan(
            long totalSamples, List<PiecePlanner.Silence> pauses, long maxSamples) {
        long minSamples = Math.min(maxSamples / 2, samples(seconds(properties.minPiece()) / 2));
        return PiecePlanner.plan(totalSamples, pauses, maxSamples, minSamples, samples(seconds(properties.overlap())));
    }

    /** Decodes into {@code pcm}; the silences found, as [start, end] in seconds. */
    private List<double[]> decode(String audioUrl, Path pcm) throws IOException {
        String filters = String.format(
                Locale.ROOT,
                "asetpts=PTS-STARTPTS,aresample=%d,aformat=sample_fmts=s16:channel_layouts=mono,"
                        + "silencedetect=noise=%.1fdB:d=%.3f",
                SAMPLE_RATE,
                properties.silenceThresholdDb(),
                seconds(properties.minSilence()));
        Process process = ffmpeg.start(
                "-nostdin",
                "-hide_banner",
                "-nostats",
                "-i",
                audioUrl,
                "-vn",
                "-af",
                filters,
                "-ac",
                "1",
                "-ar",
                String.valueOf(SAMPLE_RATE),
                "-f",
                "s16le",
                "-y",
                pcm.toString());
        process.getOutputStream().close();
        List<double[]> silences = new ArrayList<>();
        String lastLine = "";
        double openStart = -1;
        try (var errors = process.errorReader(StandardCharsets.UTF_8)) { // the PCM goes to a file, not stdout
            String line;
            while ((line = errors.readLine()) != null) {
                Matcher start = SILENCE_START.matcher(line);
                Matcher end = SILENCE_END.matcher(line);
                if (start.find()) {
                    openStart = Math.max(0, Double.parseDouble(start.group(1)));
                } else if (end.find() && openStart >= 0) {
                    silences.add(new double[] {openStart, Double.parseDouble(end.group(1))});
                    openStart = -1;
                } else if (!line.isBlank()) {
                    lastLine = line.strip();
                }
            }
        }
        try {
            if (process.waitFor() != 0) {
                throw InvalidAudioException.format("the audio could not be decoded (" + lastLine + ")");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while decoding", e);
        }
        if (openStart >= 0) {
            silences.add(new double[] {openStart, Files.size(pcm) / (double) (SAMPLE_RATE * BYTES_PER_SAMPLE)});
        }
        return silences;
    }

    /** Stores the pieces at once, each streamed from the scratch file as WAV. */
    private List<StoredPiece> store(JobId jobId, Path pcm, List<PiecePlanner.PlannedPiece> plan) throws IOException {
        try (ExecutorService uploads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<StoredPiece>> stored = new ArrayList<>();
            for (PiecePlanner.PlannedPiece piece : plan) {
                stored.add(uploads.submit(() -> storePiece(jobId, pcm, piece)));
            }
            List<StoredPiece> pieces = new ArrayList<>();
            for (Future<StoredPiece> future : stored) {
                pieces.add(future.get());
            }
            return pieces;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while storing pieces", e);
        }
    }

    private StoredPiece storePiece(JobId jobId, Path pcm, PiecePlanner.PlannedPiece piece) throws IOException {
        String key = ObjectKeys.piece(jobId, piece.index());
        long dataBytes = piece.length() * BYTES_PER_SAMPLE;
        try (FileChannel channel = FileChannel.open(pcm, StandardOpenOption.READ)) {
            channel.position(piece.start() * BYTES_PER_SAMPLE);
            InputStream data = new BoundedInputStream(Channels.newInputStream(channel), dataBytes);
            InputStream wav = new SequenceInputStream(new ByteArrayInputStream(wavHeader(dataBytes)), data);
            store.put(key, wav, WAV_HEADER + dataBytes, "audio/wav");
        }
        PieceSpan span = new PieceSpan(
                piece.start() / (double) SAMPLE_RATE,
                piece.length() / (double) SAMPLE_RATE,
                piece.ownsFrom() / (double) SAMPLE_RATE,
                piece.ownsUntil() / (double) SAMPLE_RATE);
        return new StoredPiece(piece.index(), key, WAV_HEADER + dataBytes, span);
    }

    static byte[] wavHeader(long dataBytes) {
        ByteBuffer header = ByteBuffer.allocate(WAV_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) (36 + dataBytes));
        header.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        header.put("fmt ".getBytes(StandardCharsets.US_ASCII))
                .putInt(16)
                .putShort((short) 1)
                .putShort((short) 1);
        header.putInt(SAMPLE_RATE).putInt(SAMPLE_RATE * BYTES_PER_SAMPLE);
        header.putShort((short) BYTES_PER_SAMPLE).putShort((short) 16);
        header.put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) dataBytes);
        return header.array();
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
