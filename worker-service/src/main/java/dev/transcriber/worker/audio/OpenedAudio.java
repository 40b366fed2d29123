package dev.transcriber.worker.audio;

import dev.transcriber.common.storage.ObjectStoreException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A job's audio opened in the object store, its first bytes read ({@link #head}, for {@link WavHeader}): the object
 * is read once, by whoever takes {@link #stream} first (the upstream call, or a {@link LocalAudioCopy}), from its
 * start. A later {@link #stream} (the upstream call's next attempt) opens the object again, and so does the first
 * one if it comes more than {@link #FRESH_FOR} after the open: the upstream call may wait for an account's capacity
 * for minutes, and a store does not keep a response it is sending waiting that long. Closing it closes a stream
 * nobody took.
 */
public final class OpenedAudio implements AutoCloseable {

    /** How long the stream opened with the head is handed out; after that, the object is opened again. */
    static final Duration FRESH_FOR = Duration.ofSeconds(5);

    private final Function<String, InputStream> opener;
    private final String objectKey;
    private final byte[] head;
    private final AtomicReference<InputStream> unread;
    private final LongSupplier nanoTime;
    private final long openedAt;

    private OpenedAudio(
            Function<String, InputStream> opener,
            String objectKey,
            byte[] head,
            InputStream unread,
            LongSupplier nanoTime) {
        this.opener = opener;
        this.objectKey = objectKey;
        this.head = head;
        this.unread = new AtomicReference<>(unread);
        this.nanoTime = nanoTime;
        this.openedAt = nanoTime.getAsLong();
    }

    /**
     * Opens {@code objectKey} with {@code opener} (the object store's {@code open}) and reads its head; a store that
     * cannot give it is an {@link ObjectStoreException}.
     */
    public static OpenedAudio open(Function<String, InputStream> opener, String objectKey) {
        return open(opener, objectKey, System::nanoTime);
    }

    static OpenedAudio open(Function<String, InputStream> opener, String objectKey, LongSupplier nanoTime) {
        BufferedInputStream in = new BufferedInputStream(opener.apply(objectKey), WavHeader.HEAD_BYTES);
        try {
            in.mark(WavHeader.HEAD_BYTES);
            byte[] head = in.readNBytes(WavHeader.HEAD_BYTES);
            in.reset();
            return new OpenedAudio(opener, objectKey, head, in, nanoTime);
        } catch (IOException e) {
            closeQuietly(in);
            throw new ObjectStoreException("object store: reading " + objectKey + " failed (" + e + ")", e);
        }
    }

    /** The object's first bytes (all of it when it is shorter than {@link WavHeader#HEAD_BYTES}). */
    public byte[] head() {
        return head;
    }

    /**
     * The object from its start: the stream already open the first time (unless it has waited longer than {@link
     * #FRESH_FOR}), the object opened again otherwise.
     */
    public InputStream stream() {
        InputStream taken = unread.getAndSet(null);
        if (taken != null && nanoTime.getAsLong() - openedAt <= FRESH_FOR.toNanos()) {
            return taken;
        }
        if (taken != null) {
            closeQuietly(taken);
        }
        return opener.apply(objectKey);
    }

    @Override
    public void close() {
        InputStream untaken = unread.getAndSet(null);
        if (untaken != null) {
            closeQuietly(untaken);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // a stream from the store that failed: nothing more to do
        }
    }
}
