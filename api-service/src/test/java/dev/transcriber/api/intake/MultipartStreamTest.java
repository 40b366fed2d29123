package dev.transcriber.api.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MultipartStreamTest {

    private static final String BOUNDARY = "----form-boundary-7MA4YWxkTrZu0gW";

    @Test
    void readsFieldsAndAFileInOrder() throws IOException {
        byte[] audio = "RIFF....WAVEfmt ".getBytes(StandardCharsets.ISO_8859_1);
        byte[] body = new Form()
                .field("model", "gpt-4o-transcribe")
                .file("file", "clip.wav", "audio/wav", audio)
                .field("language", "en")
                .build();

        List<Read> parts = readAll(new ByteArrayInputStream(body));

        assertThat(parts)
                .containsExactly(
                        new Read("model", null, null, "gpt-4o-transcribe".getBytes(StandardCharsets.UTF_8)),
                        new Read("file", "clip.wav", "audio/wav", audio),
                        new Read("language", null, null, "en".getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Binary content full of near-delimiters (CRLF, "--", the boundary without its CRLF, all but the last byte of
     * the delimiter), read through an input that hands out a few bytes at a time, comes out byte for byte.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 61, 8192, 100_000})
    void fileBytesSurviveNearDelimitersAndAnyChunking(int chunk) throws IOException {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        Random random = new Random(chunk);
        byte[] noise = new byte[300_000];
        random.nextBytes(noise);
        String delimiter = "\r\n--" + BOUNDARY;
        for (int i = 0; i < 200; i++) {
            content.write(noise, i * 1000, 1000);
            content.writeBytes(("x--" + BOUNDARY + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            content.writeBytes(
                    delimiter.substring(0, delimiter.length() - 1 - (i % 5)).getBytes(StandardCharsets.ISO_8859_1));
            content.writeBytes("\r\n--".getBytes(StandardCharsets.ISO_8859_1));
        }
        content.write(noise, 200_000, 100_000);
        content.writeBytes("\r".getBytes(StandardCharsets.ISO_8859_1)); // ends with half a CRLF
        byte[] file = content.toByteArray();
        byte[] body = new Form()
                .file("file", "noise.bin", "application/octet-stream", file)
                .field("model", "m")
                .build();

        List<Read> parts = readAll(new Trickle(body, chunk));

        assertThat(parts).hasSize(2);
        assertThat(parts.get(0).bytes()).isEqualTo(file);
        assertThat(parts.get(1)).isEqualTo(new Read("model", null, null, "m".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void skipsPreambleEpilogueAndUnreadParts() throws IOException {
        String body = "this is a preamble\r\n"
                + "--" + BOUNDARY + "\r\n"
                + "Content-Disposition: form-data; name=\"skipped\"; filename=\"a.bin\"\r\n\r\n"
                + "lots of bytes nobody reads\r\n"
                + "--" + BOUNDARY + "  \r\n" // transport padding after a boundary is allowed
                + "Content-Disposition: form-data; name=\"model\"\r\n\r\n"
                + "whisper-1\r\n"
                + "--" + BOUNDARY + "--\r\n"
                + "and an epilogue";
        MultipartStream stream = new MultipartStream(
                new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), BOUNDARY, 16 * 1024);

        MultipartStream.Part first = stream.next();
        MultipartStream.Part second = stream.next();

        assertThat(first.name()).isEqualTo("skipped");
        assertThat(first.isFile()).isTrue();
        assertThat(second.name()).isEqualTo("model");
        assertThat(new String(second.body().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("whisper-1");
        assertThat(stream.next()).isNull();
        assertThat(stream.next()).isNull();
    }

    @Test
    void emptyBodiesAndPartsWithoutANameAreHandled() throws IOException {
        String body = "--" + BOUNDARY + "\r\n"
                + "Content-Type: text/plain\r\n\r\n" // no Content-Disposition: skipped
                + "orphan\r\n"
                + "--" + BOUNDARY + "\r\n"
                + "Content-Disposition: form-data; name=\"prompt\"\r\n\r\n"
                + "\r\n"
                + "--" + BOUNDARY + "--";

        List<Read> parts = readAll(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));

        assertThat(parts).containsExactly(new Read("prompt", null, null, new byte[0]));
    }

    @Test
    void boundaryComesFromTheContentTypeQuotedOrNot() {
        assertThat(MultipartStream.boundary("multipart/form-data; boundary=abc"))
                .contains("abc");
        assertThat(MultipartStream.boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\""))
                .contains("a b:c");
        assertThat(MultipartStream.boundary("multipart/form-data; boundary=\"quoted-one\""))
                .contains("quoted-one");
        assertThat(MultipartStream.boundary("multipart/form-data")).isEmpty();
        assertThat(MultipartStream.boundary("multipart/form-data; boundary=")).isEmpty();
        assertThat(MultipartStream.boundary("application/json")).isEmpty();
        assertThat(MultipartStream.boundary(null)).isEmpty();
        assertThat(MultipartStream.boundary("multipart/form-data; boundary=" + "x".repeat(71)))
                .isEmpty();
    }

    @Test
    void dispositionParametersAreUnquotedAndUnescaped() {
        String disposition = "form-data; name=\"file\"; filename=\"my \\\"best\\\"; take.mp3\"";

        assertThat(MultipartStream.parameter(disposition, "name")).isEqualTo("file");
        assertThat(MultipartStream.parameter(disposition, "filename")).isEqualTo("my \"best\"; take.mp3");
        assertThat(MultipartStream.parameter("form-data; name=model", "name")).isEqualTo("model");
        assertThat(MultipartStream.parameter("form-data; name=\"model\"", "filename"))
                .isNull();
    }

    @Test
    void aFileNameInUtf8IsRead() throws IOException {
        byte[] body = new Form()
                .file("file", "réunion-été.mp3", "audio/mpeg", new byte[] {1, 2, 3})
                .build();

        assertThat(readAll(new ByteArrayInputStream(body)).getFirst().filename())
                .isEqualTo("réunion-été.mp3");
    }

    @Test
    void aBodyCutShortIsMalformed() {
        byte[] whole =
                new Form().file("file", "a.wav", "audio/wav", new byte[5000]).build();
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 20);

        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(cut)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("ends before its closing boundary");
    }

    @Test
    void aBodyWithoutTheBoundaryIsMalformed() {
        byte[] body = "just some bytes".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(body))).isInstanceOf(IOException.class);
    }

    @Test
    void oversizedPartHeadersAreRefused() {
        String body = "--" + BOUNDARY + "\r\n"
                + "Content-Disposition: form-data; name=\"model\"\r\n"
                + "X-Padding: " + "p".repeat(20_000) + "\r\n\r\n"
                + "m\r\n--" + BOUNDARY + "--";

        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("part headers are larger than");
    }

    @Test
    void aBoundaryWithoutLineBreakIsMalformed() {
        String body =
                "--" + BOUNDARY + "junk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--" + BOUNDARY + "--";

        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not followed by a line break");
    }

    private record Read(String name, String filename, String contentType, byte[] bytes) {

        @Override
        public boolean equals(Object other) {
            return other instanceof Read r
                    && java.util.Objects.equals(name, r.name)
                    && java.util.Objects.equals(filename, r.filename)
                    && java.util.Objects.equals(contentType, r.contentType)
                    && java.util.Arrays.equals(bytes, r.bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, filename, contentType, java.util.Arrays.hashCode(bytes));
        }

        @Override
        public String toString() {
            return name + "/" + filename + "/" + contentType + "/" + bytes.length + " bytes";
        }
    }

    private static List<Read> readAll(InputStream in) throws IOException {
        MultipartStream stream = new MultipartStream(in, BOUNDARY, 16 * 1024);
        List<Read> parts = new ArrayList<>();
        for (MultipartStream.Part part = stream.next(); part != null; part = stream.next()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            byte[] chunk = new byte[4096];
            for (int n = part.body().read(chunk); n >= 0; n = part.body().read(chunk)) {
                bytes.write(chunk, 0, n);
            }
            parts.add(new Read(part.name(), part.filename(), part.contentType(), bytes.toByteArray()));
        }
        return parts;
    }

    /** Hands out at most {@code chunk} bytes per read, as a slow network would. */
    private static final class Trickle extends InputStream {

        private final byte[] bytes;
        private final int chunk;
        private int pos;

        Trickle(byte[] bytes, int chunk) {
            this.bytes = bytes;
            this.chunk = chunk;
        }

        @Override
        public int read() {
            return pos < bytes.length ? bytes[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (pos >= bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(length, chunk), bytes.length - pos);
            System.arraycopy(bytes, pos, target, offset, n);
            pos += n;
            return n;
        }
    }

    /** A multipart/form-data body as curl and the OpenAI SDKs send it. */
    private static final class Form {

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Form field(String name, String value) {
            write("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value
                    + "\r\n");
            return this;
        }

        Form file(String name, String filename, String contentType, byte[] content) {
            write("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
                    + "\"\r\nContent-Type: " + contentType + "\r\n\r\n");
            out.writeBytes(content);
            write("\r\n");
            return this;
        }

        byte[] build() {
            write("--" + BOUNDARY + "--\r\n");
            return out.toByteArray();
        }

        private void write(String text) {
            out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
