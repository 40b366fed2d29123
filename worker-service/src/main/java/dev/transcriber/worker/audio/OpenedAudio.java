package dev.transcriber.worker.audio;

import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A job's audio opened in the object store, its first bytes read ({@link #head}, for {@link WavHeader}): the object
 * is read once, by whoever takes {@link #stream} first (the upstream call, or a {@link LocalAudioCopy}), from its
 * start. The stream waits for that reader at most its freshness ({@link AudioOpener#FRESH_FOR}): the upstream call
 * may first wait minutes for an account's capacity, and a store's response should not be held open, unread, that
 * long. Then a timer closes it, and the first reader opens the object again, as every later one does (the upstream
 * call's next attempt). Closing it closes a stream nobody took; it gives no stream after that. Or the audio as it
 * came with its job's hand-off ({@link #carried}), in memory: no stream of the store is open, so nothing expires.
 */
public final class OpenedAudio implements AutoCloseable {

    private final Function<String, InputStream> opener;
    private final String objectKey;
    private final byte[] head;
    private final byte[] carried;
    private final AtomicReference<InputStream> unread;
    private volatile ScheduledFuture<?> expiry;
    private volatile boolean closed;

    private OpenedAudio(
            Function<String, InputStream> opener, String objectKey, byte[] head, byte[] carried, InputStream unread) {
        this.opener = opener;
        this.objectKey = objectKey;
        this.head = head;
        this.carried = carried;
        this.unread = new AtomicReference<>(unread);
    }

    /**
     * Opens {@code objectKey} with {@code opener} (the object store's {@code open}) and reads its head; the stream is
     * closed by {@code timer} after {@code freshFor} unless taken before. A store that cannot give the object is an
     * {@link ObjectStoreException}.
     */
    static OpenedAudio open(
            Function<String, InputStream> opener, String objectKey, ScheduledExecutorService timer, Duration freshFor) {
        BufferedInputStream in = new BufferedInputStream(opener.apply(objectKey), WavHeader.HEAD_BYTES);
        OpenedAudio opened;
        try {
            in.mark(WavHeader.HEAD_BYTES);
            byte[] head = in.readNBytes(WavHeader.HEAD_BYTES);
            in.reset();
            opened = new OpenedAudio(opener, objectKey, head, null, in);
            opened.expiry = timer.schedule(opened::release, freshFor.toNanos(), TimeUnit.NANOSECONDS);
        } catch (IOException e) {
            ObjectStore.closeQuietly(in);
            throw new ObjectStoreException("object store: reading " + objectKey + " failed (" + e + ")", e);
        } catch (RuntimeException e) { // the timer refusing it too: the worker is shutting down
            ObjectStore.closeQuietly(in);
            throw e;
        }
        return opened;
    }

    /**
     * The object's bytes as they came with its job's hand-off ({@code carried}: the api kept them as it stored them),
     * read from memory the first time; the object opened with {@code opener} after that (an upstream call's next
     * attempt). They are held until this is closed: the worker took them for one of its interactive slots.
     */
    static OpenedAudio carried(Function<String, InputStream> opener, String objectKey, byte[] carried) {
        byte[] head = Arrays.copyOf(carried, Math.min(carried.length, WavHeader.HEAD_BYTES));
        return new OpenedAudio(opener, objectKey, head, carried, new ByteArrayInputStream(carried));
    }

    /** Whether this is audio that came with the job's hand-off, not an object opened in the store. */
    public boolean isCarried() {
        return carried != null;
    }

    /**
     * Whether this can be the audio of a job whose audio is {@code sizeBytes} long with the SHA-256 {@code sha256}
     * (hex, as the api took it when it stored the audio): an object opened in the store is; bytes carried with the
     * hand-off are when they are exactly those bytes, and never when the job has no SHA-256 to compare with. So the
     * internal route's caller can only save the worker a read, never change what goes upstream.
     */
    boolean fits(long sizeBytes, String sha256) {
        if (carried == null) {
            return true;
        }
        if (carried.length != sizeBytes || sha256 == null) {
            return false;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(carried);
            return MessageDigest.isEqual(digest, HexFormat.of().parseHex(sha256.toLowerCase(Locale.ROOT)));
        } catch (NoSuchAlgorithmException | IllegalArgumentException e) { // no such digest, or not hex
            return false;
        }
    }

    /** The object's first bytes (all of it when it is shorter than {@link WavHeader#HEAD_BYTES}). */
    public byte[] head() {
        return head;
    }

    /**
     * The object from its start: the stream already open the first time, while it is fresh; the object opened again
     * otherwise.
     */
    public InputStream stream() {
        if (closed) {
            throw new IllegalStateException("the audio of " + objectKey + " was closed");
        }
        InputStream taken = unread.getAndSet(null);
        if (taken != null) {
            cancelExpiry();
            return taken;
        }
        return opener.apply(objectKey);
    }

    @Override
    public void close() {
        closed = true;
        cancelExpiry();
        release();
    }

    private void cancelExpiry() {
        if (expiry != null) { // none for carried audio
            expiry.cancel(false);
        }
    }

    /** Closes the stream if nobody took it. */
    private void release() {
        InputStream untaken = unread.getAndSet(null);
        if (untaken != null) {
            ObjectStore.closeQuietly(untaken);
        }
    }
}
