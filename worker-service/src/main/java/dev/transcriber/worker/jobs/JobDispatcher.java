package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.store.TranscriptionJob;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.stereotype.Component;

/**
 * Runs each job of a poll on a virtual thread of its own, which first claims the job, then transcribes it.
 * {@link #dispatch} returns once every job of the poll is claimed (or found done or taken): from then on a claimed
 * job is protected by its lease, so the Kafka offsets may move on. Each lane has its own slots
 * ({@code transcriber.worker.max-in-flight}, {@code -async}, {@code -bulk}); when a lane's slots are all taken its
 * listener waits, which holds back that lane's consumer only.
 */
@Component
class JobDispatcher {

    private final JobLifecycle lifecycle;
    private final JobExecution execution;
    private final WorkerIdentity identity;
    private final WorkerProperties properties;
    private final StageTimers stages;
    private final Map<Lane, Semaphore> slots = new EnumMap<>(Lane.class);
    private final Set<UUID> inFlight = ConcurrentHashMap.newKeySet();
    private final ExecutorService runners = Executors.newVirtualThreadPerTaskExecutor();

    JobDispatcher(
            JobLifecycle lifecycle,
            JobExecution execution,
            WorkerIdentity identity,
            WorkerProperties properties,
            StageTimers stages) {
        this.stages = stages;
        this.lifecycle = lifecycle;
        this.execution = execution;
        this.identity = identity;
        this.properties = properties;
        for (Lane lane : Lane.values()) {
            slots.put(lane, new Semaphore(properties.maxInFlight(lane)));
        }
    }

    void dispatch(Lane lane, List<JobId> ids) throws InterruptedException {
        Semaphore laneSlots = slots.get(lane);
        List<CompletableFuture<Void>> claims = new ArrayList<>();
        for (JobId id : ids) {
            laneSlots.acquire();
            CompletableFuture<Void> claimed = new CompletableFuture<>();
            claims.add(claimed);
            runners.execute(() -> claimAndRun(id, laneSlots, claimed));
        }
        try {
            CompletableFuture.allOf(claims.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            // A claim failed (the database is unreachable): the listener's error handler retries the poll.
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    private void claimAndRun(JobId id, Semaphore slots, CompletableFuture<Void> claimed) {
        Optional<TranscriptionJob> job;
        try {
            job = claim(id);
        } catch (RuntimeException e) {
            slots.release();
            claimed.completeExceptionally(e);
            return;
        }
        claimed.complete(null);
        if (job.isEmpty()) {
            slots.release();
            return;
        }
        inFlight.add(id.value());
        try {
            execution.run(job.get());
        } finally {
            inFlight.remove(id.value());
            slots.release();
        }
    }

    private Optional<TranscriptionJob> claim(JobId id) {
        try {
            return stages.time("worker.claim", () -> lifecycle.claim(id, identity.id(), properties.lease()));
        } catch (ObjectOptimisticLockingFailureException e) {
            return Optional.empty(); // another worker claimed it a moment earlier
        }
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
