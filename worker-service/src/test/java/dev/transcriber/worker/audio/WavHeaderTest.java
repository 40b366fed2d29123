package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The header probe of a plain PCM WAV gives what libavformat gives for the same file, to the microsecond; any file it
 * is not sure of gets no answer (and is probed by libavformat).
 */
class WavHeaderTest {

    private final NativeThreads threads = new NativeThreads(1);
    private final AudioProbe libavformat = new AudioProbe(Duration.ofSeconds(5), threads);

    @TempDir
    Path folder;

    @AfterEach
    void stop() {
        threads.stop();
    }

    static Stream<Arguments> plainPcm() {
        return Stream.of(
                Arguments.of("16-bit mono at 16 kHz", wav(1, 16, 1, 16_000, 57_840 * 2, null), "pcm_s16le"),
                Arguments.of("16-bit stereo at 44.1 kHz", wav(1, 16, 2, 44_100, 44_100 * 4 + 4 * 7, null), "pcm_s16le"),
                Arguments.of("8-bit mono at 8 kHz", wav(1, 8, 1, 8_000, 12_345, null), "pcm_u8"),
                Arguments.of("24-bit stereo at 48 kHz", wav(1, 24, 2, 48_000, 6 * 33_333, null), "pcm_s24le"),
                Arguments.of("32-bit mono at 22.05 kHz", wav(1, 32, 1, 22_050, 4 * 10_001, null), "pcm_s32le"),
                Arguments.of("float mono at 16 kHz", wav(3, 32, 1, 16_000, 4 * 16_001, null), "pcm_f32le"),
                Arguments.of("double stereo at 11.025 kHz", wav(3, 64, 2, 11_025, 16 * 777, null), "pcm_f64le"),
                Arguments.of("a LIST chunk before the samples", wav(1, 16, 1, 16_000, 32_000, list(101)), "pcm_s16le"),
                Arguments.of("an odd length, padded", wav(1, 8, 1, 16_000, 16_001, null), "pcm_u8"),
                Arguments.of(
                        "a data length that ends mid-sample", wav(1, 16, 2, 16_000, 4 * 1000 + 3, null), "pcm_s16le"),
                Arguments.of("a wrong RIFF length", riffLength(wav(1, 16, 1, 16_000, 32_000, null), 7), "pcm_s16le"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plainPcm")
    void aPlainPcmWavIsDescribedAsLibavformatDescribesIt(String name, byte[] wav, String codec) throws IOException {
        ProbedAudio expected = libavformat.probe(file(wav));

        Optional<ProbedAudio> probed = WavHeader.probe(head(wav), wav.length);

        assertThat(probed).contains(expected);
        assertThat(expected.codec()).isEqualTo(codec);
    }

    @Test
    void aWavWhoseHeaderGivesNoSureAnswerGetsNone() {
        byte[] plain = wav(1, 16, 1, 16_000, 32_000, null);
        assertThat(WavHeader.probe(head(plain), plain.length))
                .as("the plain file itself")
                .isPresent();

        assertNone("no length, as a pipe writes it", with(plain, b -> b.putInt(40, -1)));
        assertNone("extensible", with(plain, b -> b.putShort(20, (short) 0xFFFE)));
        assertNone("not PCM", with(plain, b -> b.putShort(20, (short) 2)));
        assertNone("big-endian", with(plain, b -> b.put(3, (byte) 'X')));
        assertNone("block alignment", with(plain, b -> b.putShort(32, (short) 3)));
        assertNone("no channels", with(plain, b -> b.putShort(22, (short) 0).putShort(32, (short) 0)));
        assertNone("a rate beyond an int", with(plain, b -> b.putInt(24, 0x80000000)));
        assertNone("a second fmt chunk", wav(1, 16, 1, 16_000, 32_000, format()));
        assertNone("an unknown chunk before the samples", wav(1, 16, 1, 16_000, 32_000, chunk("XMA2", 8)));
        assertNone("samples before the format", dataFirst());
        assertNone("a chunk near 4 GiB", wav(1, 16, 1, 16_000, 32_000, chunk("JUNK", 0xFFFFFFF0L)));
        assertNone("cut short", Arrays.copyOf(plain, plain.length - 100));
        assertNone("a chunk after the samples", concat(plain, chunk("LIST", 2)));
        assertNone("no samples", wav(1, 16, 1, 16_000, 0, null));
        assertNone("samples beyond the head", wav(1, 16, 1, 16_000, 32_000, list(WavHeader.HEAD_BYTES)));
        assertNone("another container", "ID3\u0003 not a wav at all".getBytes(StandardCharsets.US_ASCII));
        assertNone("nothing", new byte[0]);
    }

    private static void assertNone(String what, byte[] file) {
        assertThat(WavHeader.probe(head(file), file.length)).as(what).isEmpty();
    }

    private static byte[] with(byte[] wav, java.util.function.Consumer<ByteBuffer> change) {
        byte[] changed = wav.clone();
        change.accept(ByteBuffer.wrap(changed).order(ByteOrder.LITTLE_ENDIAN));
        return changed;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /** A {@code data} chunk, then a {@code fmt } chunk. */
    private static byte[] dataFirst() {
        byte[] plain = wav(1, 16, 1, 16_000, 1_000, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(plain, 0, 12);
        out.write(plain, 36, plain.length - 36); // data
        out.write(plain, 12, 24); // fmt
        return out.toByteArray();
    }

    /** What {@link OpenedAudio} reads of the object: its first {@link WavHeader#HEAD_BYTES}. */
    private static byte[] head(byte[] wav) {
        return Arrays.copyOf(wav, Math.min(wav.length, WavHeader.HEAD_BYTES));
    }

    private String file(byte[] wav) throws IOException {
        Path file = Files.createTempFile(folder, "audio-", ".bin");
        Files.write(file, wav);
        return file.toAbsolutePath().toString();
    }

    /**
     * A RIFF/WAVE file: {@code fmt } of the given type, bits, channels and rate, an optional chunk, then {@code data}
     * of {@code dataBytes} (a quiet ramp), padded to an even length.
     */
    private static byte[] wav(int type, int bits, int channels, int rate, int dataBytes, byte[] before) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int blockAlign = channels * bits / 8;
        ByteBuffer format = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        format.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
        format.putShort((short) type).putShort((short) channels).putInt(rate).putInt(rate * blockAlign);
        format.putShort((short) blockAlign).putShort((short) bits);
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        data.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        byte[] samples = new byte[dataBytes + (dataBytes & 1)];
        for (int i = 0; i < dataBytes; i++) {
            samples[i] = (byte) (i % 7);
        }
        int riffLength = 4 + format.capacity() + (before == null ? 0 : before.length) + 8 + samples.length;
        ByteBuffer riff = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        riff.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(riffLength);
        riff.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(riff.array());
        out.writeBytes(format.array());
        if (before != null) {
            out.writeBytes(before);
        }
        out.writeBytes(data.array());
        out.writeBytes(samples);
        return out.toByteArray();
    }

    /** A LIST chunk of {@code bodyBytes} (odd lengths padded, as RIFF pads them). */
    private static byte[] list(int bodyBytes) {
        ByteBuffer chunk = ByteBuffer.allocate(8 + bodyBytes + (bodyBytes & 1)).order(ByteOrder.LITTLE_ENDIAN);
        chunk.put("LIST".getBytes(StandardCharsets.US_ASCII)).putInt(bodyBytes);
        chunk.put("INFO".getBytes(StandardCharsets.US_ASCII));
        return chunk.array();
    }

    /** A chunk's id and a stated length, with at most 8 bytes of body. */
    private static byte[] chunk(String id, long statedBytes) {
        ByteBuffer chunk =
                ByteBuffer.allocate(8 + (int) Math.min(statedBytes, 8)).order(ByteOrder.LITTLE_ENDIAN);
        chunk.put(id.getBytes(StandardCharsets.US_ASCII)).putInt((int) statedBytes);
        return chunk.array();
    }

    /** A second {@code fmt } chunk, as {@link #wav} writes its first. */
    private static byte[] format() {
        return Arrays.copyOfRange(wav(1, 16, 1, 16_000, 2, null), 12, 36);
    }

    private static byte[] riffLength(byte[] wav, int length) {
        ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).putInt(4, length);
        return wav;
    }
}
