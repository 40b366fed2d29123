package dev.transcriber.worker.audio;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * Counts the bytes read through it and (unless shielded) takes their SHA-256 on the way; the size of each read is reported to a watcher
 * (which may throw to stop a transfer that grew too large). A shielded stream leaves the stream under it open when closed, for
 * an archive's entries, which share the archive's stream.
 */
public final class CountingInputStream extends FilterInputStream {

    private final MessageDigest sha256;
    private final LongConsumer watcher;
    private final boolean shielded;
    private long count;
    private String digest;

    private CountingInputStream(InputStream in, LongConsumer watcher, boolean shielded) {
        super(in);
        this.watcher = watcher;
        this.shielded = shielded;
        try {
            this.sha256 = shielded ? null : MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts and hashes {@code in}; {@code watcher} hears how many bytes each read gave. */
    public static CountingInputStream of(InputStream in, LongConsumer watcher) {
        return new CountingInputStream(in, watcher, false);
    }

    /** Counts {@code in} (no hash), leaving it open when this stream is closed. */
    public static CountingInputStream shielded(InputStream in, LongConsumer watcher) {
        return new CountingInputStream(in, watcher, true);
    }

    /** The SHA-256 (hex) of everything in {@code in}, read through once and closed. */
    public static String sha256Of(InputStream in) throws IOException {
        try (CountingInputStream counted = of(in, total -> {})) {
            counted.transferTo(OutputStream.nullOutputStream());
            return counted.sha256();
        }
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
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
        int n = super.read(buffer, offset, length);
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

    /** The SHA-256 (hex) of everything read; once asked, reading on is an error. */
    public String sha256() {
        if (digest == null) {
            digest = HexFormat.of().formatHex(sha256.digest());
        }
        return digest;
    }

    private void counted(int n) {
        if (digest != null) {
            throw new IllegalStateException("read after the digest was taken");
        }
        count += n;
        watcher.accept(n);
    }
}
