package dev.transcriber.worker.audio;

import dev.transcriber.common.storage.ObjectStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.springframework.stereotype.Component;

/**
 * Opens a job's audio in the object store for {@link OpenedAudio}, and closes what waited too long: one timer thread
 * of its own, which sleeps while no opened audio waits. Audio that came with a job's hand-off is taken instead when it
 * is exactly the job's.
 */
@Component
public class AudioOpener {

    /** How long an opened object's stream waits for its first reader before it is closed (and opened again later). */
    public static final Duration FRESH_FOR = Duration.ofSeconds(5);

    private final ObjectStore store;
    private final ScheduledThreadPoolExecutor timer;
    private final Counter carriedTaken;

    AudioOpener(ObjectStore store, MeterRegistry meters) {
        this.store = store;
        this.carriedTaken = Counter.builder("transcriber.worker.hand_offs.carried_audio")
                .description("Jobs handed to this worker directly whose audio came with the call and was taken for"
                        + " their run, so the worker did not read it from the object store")
                .register(meters);
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

    /** The bytes of {@code objectKey} that came with its job's hand-off; see {@link OpenedAudio#carried}. */
    public EarlyOpen carried(String objectKey, byte[] audio) {
        return EarlyOpen.carried(objectKey, OpenedAudio.carried(store::open, objectKey, audio));
    }

    /**
     * A run's audio: what was opened {@code early} (or came with the hand-off) when it is the job's, {@code objectKey}
     * of {@code sizeBytes} with the SHA-256 {@code sha256} ({@link EarlyOpen#take(String, long, String)}); the object
     * opened now otherwise. Counts carried audio taken ({@code transcriber.worker.hand_offs.carried_audio}).
     */
    public OpenedAudio take(EarlyOpen early, String objectKey, long sizeBytes, String sha256) {
        Optional<OpenedAudio> taken = early.take(objectKey, sizeBytes, sha256);
        if (taken.isEmpty()) {
            return open(objectKey);
        }
        if (taken.get().isCarried()) {
            carriedTaken.increment();
        }
        return taken.get();
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
