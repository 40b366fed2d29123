package dev.transcriber.worker.audio;

import dev.transcriber.common.storage.ObjectStore;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.springframework.stereotype.Component;

/**
 * Opens a job's audio in the object store for {@link OpenedAudio}, and closes what waited too long: one timer thread
 * of its own, which sleeps while no opened audio waits.
 */
@Component
public class AudioOpener {

    /** How long an opened object's stream waits for its first reader before it is closed (and opened again later). */
    public static final Duration FRESH_FOR = Duration.ofSeconds(5);

    private final ObjectStore store;
    private final ScheduledThreadPoolExecutor timer;

    AudioOpener(ObjectStore store) {
        this.store = store;
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "audio-stream-expiry");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true); // a stream taken in time leaves nothing queued
    }

    /** Opens {@code objectKey} and reads its head; see {@link OpenedAudio}. */
    public OpenedAudio open(String objectKey) {
        return OpenedAudio.open(store::open, objectKey, timer, FRESH_FOR);
    }

    /** Starts opening {@code objectKey} on {@code executor}, for a run that may take it; see {@link EarlyOpen}. */
    public EarlyOpen openEarly(String objectKey, java.util.concurrent.Executor executor) {
        return EarlyOpen.start(objectKey, this::open, executor);
    }

    /** {@code audio}, the bytes of {@code objectKey} as they came with its job's hand-off; see {@link OpenedAudio#carried}. */
    public EarlyOpen carried(String objectKey, byte[] audio) {
        return EarlyOpen.carried(objectKey, OpenedAudio.carried(store::open, objectKey, audio, timer, FRESH_FOR));
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
