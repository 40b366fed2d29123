package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.TranscriptionJob;
import jakarta.annotation.PreDestroy;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.stereotype.Component;

/**
 * Claims a job on the listener's thread (so a claimed job is protected by its lease before the Kafka offset moves
 * on), then runs it on a virtual thread. At most {@code transcriber.worker.max-in-flight} jobs run at once; when
 * all slots are taken the listener waits, which holds back the consumer.
 */
@Component
class JobDispatcher {

    private final JobLifecycle lifecycle;
    private final JobExecution execution;
    private final WorkerIdentity identity;
    private final WorkerProperties properties;
    private final Semaphore slots;
    private final Set<UUID> inFlight = ConcurrentHashMap.newKeySet();
    private final ExecutorService runners = Executors.newVirtualThreadPerTaskExecutor();

    JobDispatcher(
            JobLifecycle lifecycle, JobExecution execution, WorkerIdentity identity, WorkerProperties properties) {
        this.lifecycle = lifecycle;
        this.execution = execution;
        this.identity = identity;
        this.properties = properties;
        this.slots = new Semaphore(properties.maxInFlight());
    }

    void dispatch(JobId id) throws InterruptedException {
        slots.acquire();
        Optional<TranscriptionJob> claimed;
        try {
            claimed = lifecycle.claim(id, identity.id(), properties.lease());
        } catch (ObjectOptimisticLockingFailureException e) {
            claimed = Optional.empty(); // another worker claimed it a moment earlier
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
        if (claimed.isEmpty()) {
            slots.release();
            return;
        }
        TranscriptionJob job = claimed.get();
        inFlight.add(id.value());
        runners.execute(() -> {
            try {
                execution.run(job);
            } finally {
                inFlight.remove(id.value());
                slots.release();
            }
        });
    }

    Set<UUID> inFlight() {
        return Set.copyOf(inFlight);
    }

    @PreDestroy
    void drain() throws InterruptedException {
        runners.shutdown();
        runners.awaitTermination(30, TimeUnit.SECONDS);
    }
}
