package dev.transcriber.api.intake;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * A streaming {@code multipart/form-data} parser (RFC 7578 framing of RFC 2046). Parts are read one after the other
 * through {@link #next()}; a part's body is an {@code InputStream} that ends at the next delimiter, so a file part
 * of any size passes through a fixed buffer.
 *
 * <p>The delimiter is found with Boyer-Moore-Horspool: for binary audio most steps skip the delimiter's whole length
 * (40 to 70 bytes), where a byte-at-a-time search looks at every byte. Bytes that could begin a delimiter split
 * across two reads are held back until the next read decides them.
 */
final class MultipartStream {

    /** One part: its form field name, its file name (null for a plain field), its content type and its bytes. */
    record Part(String name, String filename, String contentType, InputStream body) {

        boolean isFile() {
            return filename != null;
        }
    }

    private static final int BUFFER_SIZE = 64 * 1024;
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private final InputStream in;
    private final byte[] delimiter; // CRLF "--" boundary
    private final int[] skip = new int[256];
    private final int maxHeaderBytes;
    private final byte[] buffer;
    private int pos;
    private int limit;
    private boolean eof;

    /** Where the current body's delimiter starts in the buffer, or -1 while not found yet. */
    private int delimiterAt = -1;
    /** Positions before this one (and at or after {@code pos}) hold no delimiter start. */
    private int scannedTo;

    private PartBody current;
    private boolean finished;

    MultipartStream(InputStream in, String boundary, int maxHeaderBytes) {
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.maxHeaderBytes = maxHeaderBytes;
        this.buffer = new byte[Math.max(BUFFER_SIZE, delimiter.length * 4)];
        int m = delimiter.length;
        Arrays.fill(skip, m);
        for (int j = 0; j < m - 1; j++) {
            skip[delimiter[j] & 0xff] = m - 1 - j;
        }
        // The first delimiter may open the body without a CRLF before it: act as if one were there.
        buffer[0] = CR;
        buffer[1] = LF;
        limit = 2;
    }

    /**
     * The boundary named by a {@code multipart/form-data} content type, unquoted; empty when the content type is not
     * multipart or has no usable boundary (RFC 2046: 1 to 70 characters).
     */
    static Optional<String> boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            return Optional.empty();
        }
        String value = parameter(contentType, "boundary");
        return value == null || value.isEmpty() || value.length() > 70 ? Optional.empty() : Optional.of(value);
    }

    /**
     * The next part, or null after the closing delimiter. The previous part's unread bytes are skipped, and so are
     * parts without a field name.
     */
    Part next() throws IOException {
        Part part = nextAny();
        while (part != null && part.name() == null) {
            part = nextAny();
        }
        return part;
    }

    private Part nextAny() throws IOException {
        if (finished) {
            return null;
        }
        if (current == null) {
            drain(new PartBody()); // the preamble, up to the first delimiter
        } else {
            drain(current);
        }
        current = null;
        // after a delimiter: "--" closes the body; otherwise optional padding, then CRLF and the part's headers
        if (!ensure(2)) {
            throw malformed("the body ends right after a boundary");
        }
        if (buffer[pos] == '-' && buffer[pos + 1] == '-') {
            finished = true;
            return null;
        }
        while (ensure(1) && (buffer[pos] == ' ' || buffer[pos] == '\t')) {
            pos++;
        }
        if (!ensure(2) || buffer[pos] != CR || buffer[pos + 1] != LF) {
            throw malformed("a boundary is not followed by a line break");
        }
        pos += 2;
        return headers();
    }

    private Part headers() throws IOException {
        String name = null;
        String filename = null;
        String contentType = null;
        int used = 0;
        while (true) {
            String line = line(maxHeaderBytes - used);
            used += line.length() + 2;
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw malformed("a part header has no name");
            }
            String header = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (header.equalsIgnoreCase("Content-Disposition")) {
                name = parameter(value, "name");
                filename = parameter(value, "filename");
            } else if (header.equalsIgnoreCase("Content-Type")) {
                contentType = value;
            }
        }
        current = new PartBody();
        return new Part(name, filename, contentType, current);
    }

    /** One header line without its CRLF, decoded as UTF-8 (what clients send for non-ASCII file names). */
    private String line(int budget) throws IOException {
        int start = pos;
        int scanned = 0;
        while (true) {
            for (int i = start + scanned; i + 1 < limit; i++) {
                if (buffer[i] == CR && buffer[i + 1] == LF) {
                    if (i - start + 2 > budget) {
                        throw headersTooLarge();
                    }
                    String line = new String(buffer, start, i - start, StandardCharsets.UTF_8);
                    pos = i + 2;
                    return line;
                }
            }
            scanned = Math.max(0, limit - start - 1);
            if (scanned + 2 > budget) {
                throw headersTooLarge();
            }
            int before = limit - start;
            if (!ensure(before + 1)) {
                throw malformed("the body ends inside part headers");
            }
            start = pos; // ensure() may have moved the bytes to the front
        }
    }

    /**
     * A parameter of a header value (Content-Disposition's {@code name}, Content-Type's {@code boundary}): quoted, with
     * backslash escapes, or a bare token.
     */
    static String parameter(String disposition, String wanted) {
        int i = disposition.indexOf(';');
        while (i >= 0 && i < disposition.length()) {
            i++;
            while (i < disposition.length() && disposition.charAt(i) == ' ') {
                i++;
            }
            int eq = disposition.indexOf('=', i);
            if (eq < 0) {
                return null;
            }
            String key = disposition.substring(i, eq).trim();
            int v = eq + 1;
            StringBuilder value = new StringBuilder();
            if (v < disposition.length() && disposition.charAt(v) == '"') {
                v++;
                while (v < disposition.length() && disposition.charAt(v) != '"') {
                    char c = disposition.charAt(v);
                    if (c == '\\' && v + 1 < disposition.length()) {
                        c = disposition.charAt(++v);
                    }
                    value.append(c);
                    v++;
                }
                v++; // the closing quote
            } else {
                while (v < disposition.length() && disposition.charAt(v) != ';') {
                    value.append(disposition.charAt(v));
                    v++;
                }
            }
            if (key.equalsIgnoreCase(wanted)) {
                return value.toString().trim();
            }
            i = disposition.indexOf(';', v);
        }
        return null;
    }

    private void drain(PartBody body) throws IOException {
        byte[] sink = new byte[8192];
        while (body.read(sink, 0, sink.length) >= 0) {
            // skipped
        }
    }

    /**
     * At least {@code n} bytes from {@code pos}, reading more as needed (the unread bytes move to the front first);
     * false if the input ends before.
     */
    private boolean ensure(int n) throws IOException {
        if (n > buffer.length) {
            throw new IllegalArgumentException("cannot buffer " + n + " bytes");
        }
        while (limit - pos < n) {
            if (eof) {
                return false;
            }
            if (pos > 0 && (buffer.length - pos < n || pos > buffer.length / 2)) {
                int shift = pos;
                System.arraycopy(buffer, pos, buffer, 0, limit - pos);
                limit -= shift;
                pos = 0;
                scannedTo = Math.max(0, scannedTo - shift);
                if (delimiterAt >= 0) {
                    delimiterAt -= shift;
                }
            }
            int read = in.read(buffer, limit, buffer.length - limit);
            if (read < 0) {
                eof = true;
            } else {
                limit += read;
            }
        }
        return true;
    }

    /** The first delimiter start at or after {@code from} wholly in the buffer, or -1. */
    private int search(int from) {
        int m = delimiter.length;
        int i = from;
        while (i <= limit - m) {
            int j = m - 1;
            while (j >= 0 && buffer[i + j] == delimiter[j]) {
                j--;
            }
            if (j < 0) {
                return i;
            }
            i += skip[buffer[i + m - 1] & 0xff];
        }
        return -1;
    }

    private IOException headersTooLarge() {
        return malformed("the part headers are larger than " + maxHeaderBytes + " bytes");
    }

    private static IOException malformed(String why) {
        return new IOException("malformed multipart body: " + why);
    }

    /** The bytes of one part, up to (not including) the CRLF that begins the next delimiter. */
    private final class PartBody extends InputStream {

        private final byte[] one = new byte[1];
        private boolean ended;

        @Override
        public int read() throws IOException {
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (ended) {
                return -1;
            }
            if (length == 0) {
                return 0;
            }
            while (true) {
                if (delimiterAt < 0) {
                    int from = Math.max(pos, scannedTo);
                    delimiterAt = search(from);
                    if (delimiterAt < 0) {
                        scannedTo = Math.max(from, limit - delimiter.length + 1);
                    }
                }
                int end = delimiterAt >= 0 ? delimiterAt : scannedTo; // bytes before this are body
                if (end > pos) {
                    int n = Math.min(length, end - pos);
                    System.arraycopy(buffer, pos, target, offset, n);
                    pos += n;
                    return n;
                }
                if (delimiterAt == pos) {
                    pos += delimiter.length;
                    delimiterAt = -1;
                    scannedTo = pos;
                    ended = true;
                    return -1;
                }
                if (!ensure(limit - pos + 1)) {
                    throw malformed("the body ends before its closing boundary");
                }
            }
        }
    }
}
