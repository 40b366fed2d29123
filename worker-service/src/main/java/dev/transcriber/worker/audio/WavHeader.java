package dev.transcriber.worker.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * The probe of a plain PCM WAV from its first bytes, in Java: a RIFF/WAVE file whose {@code fmt } chunk gives integer
 * PCM (8, 16, 24 or 32 bits) or IEEE float (32 or 64 bits), with nothing before its samples but the chunks any tool
 * writes ({@link #BEFORE_SAMPLES}), and whose {@code data} chunk is the last thing in the object. What libavformat
 * reports for such a file is what its header says (codec, and the length as its sample count over its rate), so the
 * same answer is read here without opening the file natively. Anything else gets no answer here and is probed by
 * {@link AudioProbe} as before: a WAV written to a pipe (no length), one cut short, one of no samples, an extensible,
 * big-endian or RF64 one, one with chunks after its samples (libavformat reads those, and refuses some).
 */
public final class WavHeader {

    /** Bytes of a file's head that are read for its header: room for chunks before the samples (LIST, bext, JUNK). */
    public static final int HEAD_BYTES = 8 * 1024;

    /** The chunks that may come before the samples: the format, and metadata that says nothing of the audio. */
    static final Set<String> BEFORE_SAMPLES = Set.of("fmt ", "LIST", "fact", "bext", "JUNK", "PAD ");

    private static final int PCM = 1;
    private static final int IEEE_FLOAT = 3;

    private WavHeader() {}

    /**
     * What {@code head} (the first bytes of an object of {@code objectBytes}) says of the audio, when it is a plain PCM
     * WAV of known length; empty otherwise.
     */
    public static Optional<ProbedAudio> probe(byte[] head, long objectBytes) {
        ByteBuffer bytes = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        if (head.length < 12 || !tag(bytes, 0).equals("RIFF") || !tag(bytes, 8).equals("WAVE")) {
            return Optional.empty();
        }
        Format format = null;
        long position = 12;
        while (position + 8 <= head.length) {
            String id = tag(bytes, (int) position);
            long size = Integer.toUnsignedLong(bytes.getInt((int) position + 4));
            long body = position + 8;
            if (id.equals("data")) {
                // the samples end the object (a pad byte after an odd length aside); a length a pipe could not give
                // (0xFFFFFFFF) never does, nor one longer than the object
                boolean last = body + size == objectBytes || (size % 2 == 1 && body + size + 1 == objectBytes);
                if (format == null || size == 0 || !last) {
                    return Optional.empty();
                }
                long samples = size / format.blockAlign();
                if (samples == 0) {
                    return Optional.empty();
                }
                // as libavformat gives it: the sample count in the stream's time base, one over the rate
                return Optional.of(new ProbedAudio("wav", format.codec(), samples / (double) format.rate()));
            }
            if (!BEFORE_SAMPLES.contains(id)) {
                return Optional.empty();
            }
            if (id.equals("fmt ")) {
                if (format != null || size < 16 || body + 16 > head.length) {
                    return Optional.empty();
                }
                format = Format.read(bytes, (int) body);
                if (format == null) {
                    return Optional.empty();
                }
            }
            position = body + size + (size & 1); // chunks are padded to an even length
        }
        return Optional.empty();
    }

    private static String tag(ByteBuffer bytes, int at) {
        byte[] tag = new byte[4];
        bytes.get(at, tag);
        return new String(tag, StandardCharsets.US_ASCII);
    }

    /** A {@code fmt } chunk that describes plain PCM, and ffmpeg's name for its codec. */
    private record Format(String codec, int rate, int blockAlign) {

        static Format read(ByteBuffer bytes, int at) {
            int type = Short.toUnsignedInt(bytes.getShort(at));
            int channels = Short.toUnsignedInt(bytes.getShort(at + 2));
            long rate = Integer.toUnsignedLong(bytes.getInt(at + 4));
            int blockAlign = Short.toUnsignedInt(bytes.getShort(at + 12));
            int bits = Short.toUnsignedInt(bytes.getShort(at + 14));
            String codec = codec(type, bits);
            if (codec == null
                    || channels == 0
                    || rate == 0
                    || rate > Integer.MAX_VALUE
                    || blockAlign != channels * bits / 8) {
                return null;
            }
            return new Format(codec, (int) rate, blockAlign);
        }

        private static String codec(int type, int bits) {
            if (type == PCM) {
                return switch (bits) {
                    case 8 -> "pcm_u8";
                    case 16 -> "pcm_s16le";
                    case 24 -> "pcm_s24le";
                    case 32 -> "pcm_s32le";
                    default -> null;
                };
            }
            if (type == IEEE_FLOAT) {
                return switch (bits) {
                    case 32 -> "pcm_f32le";
                    case 64 -> "pcm_f64le";
                    default -> null;
                };
            }
            return null;
        }
    }
}
