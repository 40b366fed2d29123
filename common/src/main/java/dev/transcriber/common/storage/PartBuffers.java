package dev.transcriber.common.storage;

import dev.transcriber.common.net.HttpConnections;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The memory every upload of one process together may hold while it waits to go to the store
 * ({@code transcriber.storage.buffer-memory}). A part is read into memory before it is sent (a PUT states its length,
 * a signed one its digest), and a slow sender keeps its part there for as long as it trickles: without a bound, a few
 * dozen slow uploads of a few megabytes would exhaust the heap. A part grows a block ({@value #BLOCK} bytes) at a
 * time, each block taken from this budget; a part that finds it spent waits for blocks others give back, up to
 * {@code buffer-wait} in all, then fails ({@link BufferMemoryExhaustedException}) and gives back what it held.
 */
final class PartBuffers {

    static final int BLOCK = 64 * 1024;

    private final int blocks;
    private final Semaphore free;
    private final Duration wait;

    PartBuffers(long bytes, Duration wait) {
        this.blocks = (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytes / BLOCK));
        this.free = new Semaphore(blocks);
        this.wait = wait;
    }

    /** The budget when none is configured: a quarter of the heap. */
    static long defaultBytes() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    /** The memory the parts being read or sent hold now, in whole blocks. */
    long heldBytes() {
        return (long) (blocks - free.availablePermits()) * BLOCK;
    }

    /**
     * Reads {@code in} up to {@code max} bytes (all of them unless it ends first), as {@link InputStream#readNBytes}
     * does, into blocks of this budget; the part must be closed to give them back. A block is taken only for a byte
     * that is there: a source that ends at a block's edge (or is empty) takes none beyond what it filled.
     */
    Part read(InputStream in, int max) throws IOException {
        return read(-1, in, max);
    }

    /** As {@link #read(InputStream, int)}, the part starting with {@code first} (a byte already read; -1: none). */
    Part read(int first, InputStream in, int max) throws IOException {
        Part part = new Part();
        try {
            while (part.length < max) {
                int next = part.length == 0 && first >= 0 ? first : in.read();
                if (next < 0) {
                    return part;
                }
                byte[] block = part.take();
                block[0] = (byte) next;
                int filled = 1;
                int room = Math.min(BLOCK, max - part.length);
                while (filled < room) {
                    int n = in.read(block, filled, room - filled);
                    if (n < 0) {
                        break;
                    }
                    filled += n;
                }
                part.length += filled;
                if (filled < room) {
                    return part;
                }
            }
            return part;
        } catch (IOException | RuntimeException e) {
            part.close();
            throw e;
        }
    }

    /** A part read into blocks of the budget, sent as it is (no copy) or copied once into one array. */
    final class Part implements HttpConnections.Payload, AutoCloseable {

        private final List<byte[]> held = new ArrayList<>();
        /** The part waits at most {@code wait} for blocks, all of them together. */
        private final long waitUntil = System.nanoTime() + wait.toNanos();

        private int length;
        private boolean closed;

        private byte[] take() throws BufferMemoryExhaustedException {
            boolean taken;
            try {
                taken = free.tryAcquire(Math.max(0, waitUntil - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BufferMemoryExhaustedException(wait);
            }
            if (!taken) {
                throw new BufferMemoryExhaustedException(wait);
            }
            byte[] block = new byte[BLOCK];
            held.add(block);
            return block;
        }

        int size() {
            return length;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            int left = length;
            for (byte[] block : held) {
                int n = Math.min(left, BLOCK);
                out.write(block, 0, n);
                left -= n;
            }
        }

        @Override
        public boolean replayable() {
            return true;
        }

        /** The SHA-256 of the part (hex), for a signed upload. */
        String sha256() {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                int left = length;
                for (byte[] block : held) {
                    int n = Math.min(left, BLOCK);
                    digest.update(block, 0, n);
                    left -= n;
                }
                return HexFormat.of().formatHex(digest.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * The part in one array (for the multipart upload's client, which takes one). Its blocks go once copied; the
         * array keeps their share of the budget until the part is closed (right after its upload), so for the moment
         * of the copy the part holds twice what it counts.
         */
        byte[] toArray() {
            byte[] all = new byte[length];
            int at = 0;
            for (int i = 0; i < held.size(); i++) {
                int n = Math.min(length - at, BLOCK);
                System.arraycopy(held.get(i), 0, all, at, n);
                held.set(i, null);
                at += n;
            }
            return all;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                free.release(held.size());
                held.clear();
            }
        }
    }
}
