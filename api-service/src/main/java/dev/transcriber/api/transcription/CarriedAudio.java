package dev.transcriber.api.transcription;

import dev.transcriber.common.net.HttpConnections;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Sync calls' audio kept in memory on its way into the object store, so that it goes with its job's hand-off and the
 * worker does not read it back from the store ({@link WorkerHandOff}): the object store's second round trip of a sync
 * job, gone while the job's audio is small. Each call keeps at most {@code perCall} bytes; all calls together at most
 * {@code memory}, taken in blocks of {@value #BLOCK} bytes as the audio arrives, never waited for: a call whose audio
 * is larger, or that finds the memory taken, keeps nothing, and its worker reads the audio from the store as before.
 */
final class CarriedAudio {

    static final int BLOCK = 64 * 1024;

    /** Keeps nothing: every job's audio is read from the store. */
    static final CarriedAudio NONE = new CarriedAudio(0, 0);

    private final long perCall;
    private final Semaphore blocks;
    private final int totalBlocks;

    CarriedAudio(long perCall, long memory) {
        this.perCall = perCall;
        this.totalBlocks = (int) Math.min(Integer.MAX_VALUE, memory / BLOCK);
        this.blocks = new Semaphore(totalBlocks);
    }

    /** A copy for one call's audio, empty until the audio is read through {@link Copy#keeping}. */
    Copy copy() {
        return perCall > 0 && totalBlocks > 0 ? new Copy() : new Copy(true);
    }

    /** The blocks not held by a copy. */
    int freeBlocks() {
        return blocks.availablePermits();
    }

    /** The memory copies hold now ({@code transcriber.api.hand_offs.carried_bytes}). */
    long heldBytes() {
        return (long) (totalBlocks - blocks.availablePermits()) * BLOCK;
    }

    /**
     * One call's audio, kept as it is read, whole or not at all. Closing it gives its memory back: the hand-off does
     * once its body is written, the request that made it when it ends, whichever comes first (a request that ends
     * while its hand-off still writes leaves those blocks to the writer until it is done, uncounted for that while).
     */
    final class Copy implements AutoCloseable {

        private final List<byte[]> kept = new ArrayList<>();
        private long length;
        private boolean whole;
        private boolean dropped;

        private Copy() {}

        private Copy(boolean dropped) {
            this.dropped = dropped;
        }

        /** {@code in}, whose bytes are kept as they are read; its end makes the copy whole. */
        InputStream keeping(InputStream in) {
            if (dropped) {
                return in;
            }
            return new FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b < 0) {
                        ended();
                    } else {
                        keep(new byte[] {(byte) b}, 0, 1);
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int count) throws IOException {
                    int n = super.read(buffer, offset, count);
                    if (n < 0) {
                        ended();
                    } else {
                        keep(buffer, offset, n);
                    }
                    return n;
                }

                @Override
                public long skip(long n) throws IOException {
                    drop(); // skipped bytes are not seen: the copy would have a hole
                    return super.skip(n);
                }
            };
        }

        private synchronized void keep(byte[] buffer, int offset, int count) {
            if (dropped || count == 0) {
                return;
            }
            if (whole || length + count > perCall) {
                drop();
                return;
            }
            int done = 0;
            while (done < count) {
                int inBlock = (int) (length % BLOCK);
                if (inBlock == 0) {
                    if (!blocks.tryAcquire()) {
                        drop();
                        return;
                    }
                    kept.add(new byte[BLOCK]);
                }
                int n = Math.min(count - done, BLOCK - inBlock);
                System.arraycopy(buffer, offset + done, kept.getLast(), inBlock, n);
                done += n;
                length += n;
            }
        }

        private synchronized void ended() {
            if (!dropped) {
                whole = true;
            }
        }

        private synchronized void drop() {
            if (!dropped) {
                dropped = true; // nothing else of the copy is read after this
                blocks.release(kept.size());
                kept.clear();
            }
        }

        /** The whole audio as a hand-off's body, when it is kept and is {@code sizeBytes} long; else null. */
        synchronized HttpConnections.Payload body(long sizeBytes) {
            if (dropped || !whole || length != sizeBytes || length == 0) {
                return null;
            }
            List<byte[]> parts = List.copyOf(kept);
            long size = length;
            return new HttpConnections.Payload() {
                @Override
                public long length() {
                    return size;
                }

                @Override
                public void writeTo(OutputStream out) throws IOException {
                    long left = size;
                    for (byte[] part : parts) {
                        int n = (int) Math.min(left, part.length);
                        out.write(part, 0, n);
                        left -= n;
                    }
                    drop(); // sent: its memory is free for the next call, though this call waits for its answer
                }

                @Override
                public boolean replayable() {
                    return false; // as the empty body: a call that fails before its answer is not made again
                }
            };
        }

        /** Gives the copy's memory back; it keeps nothing after this. */
        @Override
        public void close() {
            drop();
        }
    }
}
