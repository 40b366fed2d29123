package dev.transcriber.worker.audio;

import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A job's audio opened while the worker claims the job, so that the object store's round trip and the claim's run
 * side by side instead of one after the other: a sync request's audio is at a key its job's id names, known before
 * the row is read. The run takes it when its job's audio is that object; otherwise (a piece, audio fetched from a URL,
 * a job that was not claimed) it is closed unread when the run ends. An open that failed is not reported here: the
 * run opens the object itself, and hears the store's error then. A job handed over directly may have brought its audio
 * with it ({@link #carried}): then nothing is opened, and the run takes the bytes instead.
 */
public final class EarlyOpen implements AutoCloseable {

    /** Nothing opened early: the run opens its audio when it needs it. */
    public static final EarlyOpen NONE = new EarlyOpen(null, null);

    private final String objectKey;
    private final CompletableFuture<OpenedAudio> opening;
    private final AtomicBoolean settled = new AtomicBoolean();

    private EarlyOpen(String objectKey, CompletableFuture<OpenedAudio> opening) {
        this.objectKey = objectKey;
        this.opening = opening;
    }

    /** Starts opening {@code objectKey} with {@code open} on {@code executor}; nothing when it refuses the task. */
    static EarlyOpen start(String objectKey, Function<String, OpenedAudio> open, Executor executor) {
        try {
            return new EarlyOpen(objectKey, CompletableFuture.supplyAsync(() -> open.apply(objectKey), executor));
        } catch (RejectedExecutionException e) { // shutting down
            return NONE;
        }
    }

    /** The audio that came with the job's hand-off, already in memory ({@link OpenedAudio#carried}). */
    static EarlyOpen carried(String objectKey, OpenedAudio carried) {
        return new EarlyOpen(objectKey, CompletableFuture.completedFuture(carried));
    }

    /**
     * The audio opened early, once it is open, when {@code key} is the object it opens and it has not been taken or
     * closed; the caller then closes it. Empty otherwise, and when the open failed.
     */
    public Optional<OpenedAudio> take(String key) {
        return take(key, -1, null);
    }

    /**
     * As {@link #take(String)}, for a job whose audio is {@code sizeBytes} long with the SHA-256 {@code sha256}: audio
     * carried with the hand-off that is not exactly those bytes is not the job's, and is let go
     * ({@link OpenedAudio#fits}).
     */
    public Optional<OpenedAudio> take(String key, long sizeBytes, String sha256) {
        if (opening == null || !key.equals(objectKey) || !settled.compareAndSet(false, true)) {
            return Optional.empty();
        }
        OpenedAudio opened;
        try {
            opened = opening.join();
        } catch (CompletionException | CancellationException e) {
            return Optional.empty();
        }
        if (!opened.fits(sizeBytes, sha256)) {
            opened.close();
            return Optional.empty();
        }
        return Optional.of(opened);
    }

    /** Closes the audio, once it is open, unless it was taken. */
    @Override
    public void close() {
        if (opening != null && settled.compareAndSet(false, true)) {
            opening.thenAccept(OpenedAudio::close);
        }
    }
}
