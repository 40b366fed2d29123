package dev.transcriber.common.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * Counts the bytes read through it and (unless shielded) takes their SHA-256 on the way: what audio on its way into
 * the object store passes through. A capped stream fails the read that takes it over its cap; an IOException of the
 * stream under it is kept, so that a caller whose store upload failed can tell its source's failure from the
 * store's. A shielded stream reports the size of each read to a watcher (which may throw to stop a transfer that grew
 * too large) and leaves the stream under it open when closed, for an archive's entries, which share the archive's
 * stream.
 */
public final class CountingInputStream extends FilterInputStream {

    /** The read that took the stream over its cap. */
    public static final class OverCapException extends IOException {
        OverCapException(long cap) {
            super("more than " + cap + " bytes");
        }
    }

    private final MessageDigest sha256;
    private final long cap;
    private final LongConsumer watcher;
    private final boolean shielded;
    private long count;
    private String digest;
    private IOException readFailure;

    private CountingInputStream(InputStream in, long cap, LongConsumer watcher, boolean hashed, boolean shielded) {
        super(in);
        this.cap = cap;
        this.watcher = watcher;
        this.shielded = shielded;
        try {
            this.sha256 = hashed ? MessageDigest.getInstance("SHA-256") : null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts and hashes {@code in}. */
    public static CountingInputStream of(InputStream in) {
        return new CountingInputStream(in, Long.MAX_VALUE, n -> {}, true, false);
    }

    /** Counts {@code in} (no hash) and keeps its read failure, for a stream whose bytes matter only on their way. */
    public static CountingInputStream counted(InputStream in) {
        return new CountingInputStream(in, Long.MAX_VALUE, n -> {}, false, false);
    }

    /** Counts {@code in} (no hash); the read that takes it beyond {@code cap} bytes throws {@link OverCapException}. */
    public static CountingInputStream bounded(InputStream in, long cap) {
        return new CountingInputStream(in, cap, n -> {}, false, false);
    }

    /** Counts and hashes {@code in}; the read that takes it beyond {@code cap} bytes throws {@link OverCapException}. */
    public static CountingInputStream capped(InputStream in, long cap) {
        return new CountingInputStream(in, cap, n -> {}, true, false);
    }

    /** Counts {@code in} (no hash), leaving it open when this stream is closed; {@code watcher} hears each read's size. */
    public static CountingInputStream shielded(InputStream in, LongConsumer watcher) {
        return new CountingInputStream(in, Long.MAX_VALUE, watcher, false, true);
    }

    /** The SHA-256 (hex) of everything in {@code in}, read through once and closed. */
    public static String sha256Of(InputStream in) throws IOException {
        try (CountingInputStream counted = of(in)) {
            counted.transferTo(OutputStream.nullOutputStream());
            return counted.sha256();
        }
    }

    @Override
    public int read() throws IOException {
        int b = source(() -> super.read());
        if (b >= 0) {
            if (sha256 != null) {
                sha256.update((byte) b);
            }
            counted(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = source(() -> super.read(buffer, offset, length));
        if (n > 0) {
            if (sha256 != null) {
                sha256.update(buffer, offset, n);
            }
            counted(n);
        }
        return n;
    }

    /** Skipped bytes are read (and so counted and hashed) too. */
    @Override
    public long skip(long n) throws IOException {
        return Math.max(0, read(new byte[(int) Math.min(Math.max(n, 0), 8192)]));
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public void close() throws IOException {
        if (!shielded) {
            super.close();
        }
    }

    public long count() {
        return count;
    }

    /** Whether a read went beyond the cap. */
    public boolean overCap() {
        return count > cap;
    }

    /** The IOException the stream under this one threw, or null. */
    public IOException readFailure() {
        return readFailure;
    }

    /** The SHA-256 (hex) of everything read; once asked, reading on is an error. */
    public String sha256() {
        if (digest == null) {
            digest = HexFormat.of().formatHex(sha256.digest());
        }
        return digest;
    }

    private int source(SourceRead read) throws IOException {
        try {
            return read.read();
        } catch (IOException e) {
            readFailure = e;
            throw e;
        }
    }

    private void counted(int n) throws OverCapException {
        if (digest != null) {
            throw new IllegalStateException("read after the digest was taken");
        }
        count += n;
        watcher.accept(n);
        if (count > cap) {
            throw new OverCapException(cap);
        }
    }

    @FunctionalInterface
    private interface SourceRead {
        int read() throws IOException;
    }
}
