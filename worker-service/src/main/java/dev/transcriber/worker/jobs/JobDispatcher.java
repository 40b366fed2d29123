package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.lifecycle.JobEnds;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.tracing.LogContext;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.worker.WorkerIdentity;
import dev.transcriber.worker.WorkerProperties;
import dev.transcriber.worker.audio.EarlyOpen;
import io.micrometer.tracing.Span;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.stereotype.Component;

/**
 * Runs each job of a poll on a virtual thread of its own, which first claims the job, then transcribes it.
 * {@link #dispatch} returns once every job it took is claimed (or found done or taken): from then on a claimed job
 * is protected by its lease, so the Kafka offsets may move on. Each lane has its own slots
 * ({@code transcriber.worker.max-in-flight}, {@code -async}, {@code -bulk}).
 *
 * <p>When a lane's slots are all taken, the listener waits for slots for at most {@code
 * transcriber.worker.queue.full-lane-wait} per poll (slots of a busy lane free up every few seconds), never until
 * one frees (that could outlast {@code max.poll.interval.ms} behind a slow upstream and get the consumer evicted
 * from its group): then it commits what it claimed and hands the rest back with {@link Acknowledgment#nack(int, java.time.Duration)}, which
 * pauses the consumer's partitions for {@code transcriber.worker.queue.full-lane-pause} while it keeps polling, then
 * delivers the rest again. Once the worker begins to stop (this stops before the listener containers), a poll takes no
 * slot and one waiting for slots hands its records back at once, so the containers' stop, and after it the hand-back of
 * the jobs in flight ({@link LeaseHandBack}), are not held up by a full lane's wait. A claim that fails (the database is unreachable) fails that record only
 * ({@link BatchListenerFailedException}): the records before it are committed, the error handler retries it and
 * delivers the ones after it again (those already claimed are found taken and skipped).
 *
 * <p>A job's claim and run are one span ({@code job}), continuing the trace its event came with, and its id is in the
 * log context of the virtual thread that runs it, for as long as it runs.
 */
@Component
class JobDispatcher implements SmartLifecycle {

    /** Above the listener containers' phase: stopped before them, so a poll waiting for slots lets their stop go on. */
    static final int PHASE = AbstractMessageListenerContainer.DEFAULT_PHASE + 100;

    /** How often a wait for a full lane's slots looks whether the worker stops. */
    private static final long CLOSING_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** Set when the worker begins to stop (a dispatcher is running from its construction, started or not). */
    private volatile boolean stopping;

    private final JobLifecycle lifecycle;
    private final JobExecution execution;
    private final WorkerIdentity identity;
    private final WorkerProperties properties;
    private final QueueProperties queue;
    private final StageTimers stages;
    private final Traces traces;
    private final Map<Lane, Semaphore> slots = new EnumMap<>(Lane.class);
    private final Set<UUID> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicInteger directClaims = new AtomicInteger();
    private final ExecutorService runners = Executors.newVirtualThreadPerTaskExecutor();

    JobDispatcher(
            JobLifecycle lifecycle,
            JobExecution execution,
            WorkerIdentity identity,
            WorkerProperties properties,
            QueueProperties queue,
            StageTimers stages,
            Traces traces) {
        this.traces = traces;
        this.queue = queue;
        this.stages = stages;
        this.lifecycle = lifecycle;
        this.execution = execution;
        this.identity = identity;
        this.properties = properties;
        for (Lane lane : Lane.values()) {
            slots.put(lane, new Semaphore(properties.maxInFlight(lane)));
        }
    }

    /**
     * A job announced on its lane's topic, and the trace its announcement carried (null: none); or, with no id, a
     * record that names no job, and how to put it aside ({@code putAside}: its dead-lettering; null: nothing to do).
     */
    record Submitted(JobId id, String traceparent, Runnable putAside) {
        Submitted(JobId id, String traceparent) {
            this(id, traceparent, null);
        }
    }

    void dispatch(Lane lane, List<Submitted> ids, Acknowledgment ack) throws InterruptedException {
        Semaphore laneSlots = slots.get(lane);
        List<CompletableFuture<Boolean>> claims = new ArrayList<>();
        long waitUntil = System.nanoTime() + queue.fullLaneWait().toNanos(); // for the whole poll, not per record
        for (Submitted submitted : ids) {
            if (submitted.id() == null) { // names no job: put aside (dead-lettered), then passed; its failure its own
                claims.add(putAside(submitted));
                continue;
            }
            if (!slot(laneSlots, waitUntil)) {
                break;
            }
            CompletableFuture<Boolean> claimed = new CompletableFuture<>();
            claims.add(claimed);
            runners.execute(() -> traced(lane, submitted, null, laneSlots, claimed, job -> true));
        }
        try {
            CompletableFuture.allOf(claims.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw firstFailedClaim(claims);
        }
        if (claims.size() < ids.size()) {
            // the lane is full: the rest comes back later; or the worker stops: the rest goes to another worker now
            ack.nack(claims.size(), stopping ? Duration.ZERO : queue.fullLanePause());
        } else {
            ack.acknowledge();
        }
    }

    /** A record that names no job, once put aside: passed ({@code false}); failed when putting it aside failed. */
    private static CompletableFuture<Boolean> putAside(Submitted record) {
        if (record.putAside() == null) {
            return CompletableFuture.completedFuture(false);
        }
        try {
            record.putAside().run();
            return CompletableFuture.completedFuture(false);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** What became of a job handed to this worker directly ({@link #runHere}). */
    sealed interface DirectRun {
        /**
         * No slot of the interactive lane is free, the worker does not read that lane, or it stops: the job was not
         * touched.
         */
        record NoSlot() implements DirectRun {}

        /** Taken by another worker, or ended, before this one could claim it. */
        record NotClaimed() implements DirectRun {}

        /** Claimed and run here; {@code end} is its end notice, or null when its end is announced as usual. */
        record Ran(JobEnds.HeardEnd end) implements DirectRun {}
    }

    /**
     * Runs a sync call's job handed over by the api instance holding its request, on the caller's thread, when a slot
     * of the interactive lane is free at once and no poll is waiting for one (the queue's jobs keep their turn):
     * claimed under the usual fence, run as one from its topic would be (counted in flight, handed back if the worker
     * stops), its end heard here ({@link JobEnds#heardHere}). Only a whole job of the interactive lane is run so; any
     * other claimed by mistake is handed back to its queue at once. Never waits for a slot: the api sends the job's
     * event instead. The audio the call carried ({@code carriedAudio}: null when none) is read once a slot is taken,
     * and taken by the run instead of the stored object's when it is exactly the job's audio.
     */
    DirectRun runHere(JobId id, String traceparent, Supplier<byte[]> carriedAudio) {
        Semaphore laneSlots = slots.get(Lane.INTERACTIVE);
        // counted before the stop is looked at, so a stop under way waits for this claim (directClaimsUnderWay)
        directClaims.incrementAndGet();
        CompletableFuture<Boolean> claimed = new CompletableFuture<>();
        claimed.whenComplete((taken, failure) -> directClaims.decrementAndGet());
        if (stopping
                || !properties.lanes().contains(Lane.INTERACTIVE)
                || laneSlots.hasQueuedThreads()
                || !laneSlots.tryAcquire()) {
            claimed.complete(false);
            return new DirectRun.NoSlot();
        }
        byte[] audio;
        try {
            audio = carried(carriedAudio); // read once the slot is taken: a worker holds one per slot at most
        } catch (Error e) { // a failure to read it is no audio (carried); the slot is not kept past an Error either
            laneSlots.release();
            claimed.complete(false);
            throw e;
        }
        if (stopping) { // the worker began to stop while the body came (a slow sender): the job goes through Kafka
            laneSlots.release();
            claimed.complete(false);
            return new DirectRun.NoSlot();
        }
        JobEnds.HeardEnd end;
        try {
            end = JobEnds.heardHere(
                    id,
                    () -> traced(
                            Lane.INTERACTIVE,
                            new Submitted(id, traceparent),
                            audio,
                            laneSlots,
                            claimed,
                            job -> job.lane() == Lane.INTERACTIVE && job.parentId() == null));
        } finally {
            Thread.interrupted(); // a hand-back interrupts the run: its thread still answers the api
        }
        return claimed.join() ? new DirectRun.Ran(end) : new DirectRun.NotClaimed();
    }

    /** The audio a direct run's call carried; null when it carried none or it could not be read (the store has it). */
    private static byte[] carried(Supplier<byte[]> audio) {
        try {
            return audio.get();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Direct runs whose claim is under way: their job is not in flight yet, and may be soon. */
    int directClaimsUnderWay() {
        return directClaims.get();
    }

    /**
     * A slot of the lane, waiting for one until {@code waitUntil} at most; none once the worker stops (its listeners
     * stop after this, and wait for the poll under way).
     */
    private boolean slot(Semaphore laneSlots, long waitUntil) throws InterruptedException {
        while (!stopping) {
            long left = Math.max(0, waitUntil - System.nanoTime());
            long wait = Math.min(left, CLOSING_CHECK_NANOS);
            if (laneSlots.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                return true;
            }
            if (left <= wait) {
                return false;
            }
        }
        return false;
    }

    @Override
    public void start() {
        stopping = false;
    }

    /** The worker stops: no poll takes a slot any more, and one waiting for slots hands its records back at once. */
    @Override
    public void stop() {
        stopping = true;
    }

    @Override
    public boolean isRunning() {
        return !stopping;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** The first record whose claim failed: the records before it are all claimed. */
    private static BatchListenerFailedException firstFailedClaim(List<CompletableFuture<Boolean>> claims) {
        for (int index = 0; index < claims.size(); index++) {
            try {
                claims.get(index).join();
            } catch (CompletionException e) {
                return new BatchListenerFailedException("claim failed", e.getCause(), index);
            }
        }
        throw new IllegalStateException("no claim failed");
    }

    /**
     * On the job's own virtual thread: its span and log context around the claim and the run. Whatever fails before
     * the claim's outcome is known (a record that names no job, say) fails the claim and gives its slot back, so the
     * poll's wait for its claims ends.
     */
    private void traced(
            Lane lane,
            Submitted submitted,
            byte[] carried,
            Semaphore slots,
            CompletableFuture<Boolean> claimed,
            Predicate<RunningJob> runsHere) {
        try {
            if (submitted.id() == null) {
                throw new IllegalArgumentException("the record names no job");
            }
            try (LogContext logged = LogContext.job(submitted.id());
                    Traces.Traced span = traces.continueTrace("job", Span.Kind.CONSUMER, submitted.traceparent())
                            .tag("job.id", submitted.id().toString())
                            .tag("job.lane", lane.name())) {
                claimAndRun(lane, submitted.id(), carried, slots, claimed, runsHere);
            }
        } catch (RuntimeException | Error e) {
            if (claimed.isDone()) {
                throw e;
            }
            slots.release();
            claimed.completeExceptionally(e);
        }
    }

    /**
     * Claims the job, then runs it; its audio may be opened while it is claimed ({@link JobExecution#openEarly}). A
     * claimed job that does not {@code runsHere} goes back to its queue at once, not counted as claimed.
     */
    private void claimAndRun(
            Lane lane,
            JobId id,
            byte[] carried,
            Semaphore slots,
            CompletableFuture<Boolean> claimed,
            Predicate<RunningJob> runsHere) {
        try (EarlyOpen early = execution.openEarly(lane, id, carried)) {
            Optional<RunningJob> job;
            try {
                job = claim(id);
                if (job.isPresent() && !runsHere.test(job.get())) {
                    lifecycle.handBack(id, identity.id());
                    job = Optional.empty();
                }
            } catch (RuntimeException e) {
                slots.release();
                claimed.completeExceptionally(e);
                return;
            }
            if (job.isEmpty()) {
                claimed.complete(false);
                slots.release();
                return;
            }
            inFlight.add(id.value()); // before the claim counts as done: a stop that follows hands the job back
            claimed.complete(true);
            try {
                execution.run(job.get(), early);
            } finally {
                inFlight.remove(id.value());
                slots.release();
            }
        }
    }

    private Optional<RunningJob> claim(JobId id) {
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
