package dev.transcriber.worker.jobs;

import static dev.transcriber.standalone.support.JobAssert.assertThatJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.standalone.support.Race;
import dev.transcriber.standalone.support.WorkerSlice;
import dev.transcriber.worker.WorkerIdentity;
import dev.transcriber.worker.WorkerProperties;
import dev.transcriber.worker.diarization.JobSpeakers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.support.Acknowledgment;

/**
 * How a worker takes the jobs of a poll ({@link JobDispatcher}) on a real PostgreSQL: each is claimed and run on a
 * thread of its own, the poll is acknowledged once every job is claimed (not run), a lane's slots bound what runs at
 * once and a full lane hands the rest of its poll back, a claim that fails fails its record only, and two workers
 * given the same jobs run each once. The runs themselves are {@link HeldRuns}: they last until the test ends them.
 */
class JobDispatcherTest {

    private static final Duration LEASE = Duration.ofMinutes(2);

    private static WorkerSlice slice;

    private final List<JobDispatcher> dispatchers = new ArrayList<>();
    private final List<HeldRuns> runs = new ArrayList<>();

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(
                JobDispatcherTest.class, JobLifecycle.class, ClaimFence.class, JobTransitions.class, JobSpeakers.class);
    }

    @AfterAll
    static void stop() {
        if (slice != null) {
            slice.close();
        }
    }

    @BeforeEach
    void empty() {
        slice.clearJobs();
    }

    @AfterEach
    void endRuns() throws InterruptedException {
        runs.forEach(HeldRuns::endAll);
        for (JobDispatcher dispatcher : dispatchers) {
            dispatcher.drain();
        }
    }

    @Test
    void eachJobOfAPollIsClaimedAndRunOnAThreadOfItsOwnAndThePollIsAcknowledgedBeforeTheRunsEnd() throws Exception {
        HeldRuns held = new HeldRuns();
        JobDispatcher dispatcher = dispatcher("worker-a", held, 4, Duration.ofSeconds(10));
        List<JobId> ids = slice.saveQueued(Lane.INTERACTIVE, 3);
        Acks acks = new Acks();

        dispatcher.dispatch(Lane.INTERACTIVE, submitted(ids), acks);

        assertThat(acks.acknowledged()).isEqualTo(1);
        assertThat(acks.nacked()).isEmpty();
        ids.forEach(id -> assertThatJob(slice.job(id)).isRunningUnder("worker-a", 1));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(held.started()).containsExactlyInAnyOrderElementsOf(ids));
        assertThat(dispatcher.inFlight()).containsExactlyInAnyOrderElementsOf(values(ids));

        held.end(ids.get(0), ids.get(1));

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(dispatcher.inFlight())
                        .containsExactly(ids.get(2).value()));
    }

    @Test
    void aJobTakenOrEndedIsSkippedAndItsSlotGoesToTheNext() throws Exception {
        HeldRuns held = new HeldRuns();
        JobDispatcher dispatcher = dispatcher("worker-a", held, 1, Duration.ofSeconds(10));
        JobLifecycle lifecycle = slice.bean(JobLifecycle.class);
        JobId taken = slice.saveQueued(Lane.ASYNC, 1).getFirst();
        lifecycle.claim(taken, "worker-b", LEASE).orElseThrow();
        JobId ended = slice.saveQueued(Lane.ASYNC, 1).getFirst();
        lifecycle.succeed(
                lifecycle.claim(ended, "worker-b", LEASE).orElseThrow(),
                new Transcript("done", "en", 1.0, null),
                "account-b",
                1.0);
        JobId free = slice.saveQueued(Lane.ASYNC, 1).getFirst();
        Acks acks = new Acks();

        dispatcher.dispatch(Lane.ASYNC, submitted(List.of(taken, ended, free)), acks);

        assertThat(acks.acknowledged()).isEqualTo(1);
        assertThatJob(slice.job(taken)).isRunningUnder("worker-b", 1);
        assertThatJob(slice.job(ended)).hasSucceeded();
        assertThatJob(slice.job(free)).isRunningUnder("worker-a", 1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(held.started()).containsExactly(free));
    }

    @Test
    void whenALanesSlotsStayTakenTheRestOfThePollIsHandedBackAfterTheWait() throws Exception {
        HeldRuns held = new HeldRuns();
        JobDispatcher dispatcher = dispatcher("worker-a", held, 2, Duration.ofMillis(300));
        List<JobId> ids = slice.saveQueued(Lane.BULK, 3);
        Acks acks = new Acks();

        dispatcher.dispatch(Lane.BULK, submitted(ids), acks);

        assertThat(acks.acknowledged()).isZero();
        assertThat(acks.nacked()).containsExactly(new Nack(2, PAUSE));
        assertThatJob(slice.job(ids.get(0))).isRunningUnder("worker-a", 1);
        assertThatJob(slice.job(ids.get(1))).isRunningUnder("worker-a", 1);
        assertThatJob(slice.job(ids.get(2))).isQueued().hasAttempts(0);
    }

    @Test
    void aPollWaitingForAFullLanesSlotsHandsItsRecordsBackAtOnceWhenTheWorkerStops() throws Exception {
        // a full lane's wait (a minute here) must not hold the listener's stop, and with it the hand-back of the jobs
        // in flight, past the pod's grace period
        HeldRuns held = new HeldRuns();
        JobDispatcher dispatcher = dispatcher("worker-a", held, 1, Duration.ofSeconds(60));
        List<JobId> ids = slice.saveQueued(Lane.BULK, 2);
        dispatcher.dispatch(Lane.BULK, submitted(ids.subList(0, 1)), new Acks()); // the lane's one slot, held
        Acks waiting = new Acks();
        CompletableFuture<Object> poll =
                CompletableFuture.supplyAsync(() -> dispatch(dispatcher, Lane.BULK, ids.subList(1, 2), waiting));

        dispatcher.stop();

        poll.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(waiting.nacked()).containsExactly(new Nack(0, Duration.ZERO));
        assertThatJob(slice.job(ids.get(1))).isQueued().hasAttempts(0);
    }

    @Test
    void aSlotFreedDuringTheWaitTakesTheNextJobOfThePollAndAnotherLanesSlotsAreItsOwn() throws Exception {
        HeldRuns held = new HeldRuns();
        JobDispatcher dispatcher = dispatcher("worker-a", held, 2, Duration.ofSeconds(30));
        List<JobId> bulk = slice.saveQueued(Lane.BULK, 3);
        Acks bulkAcks = new Acks();
        CompletableFuture<Void> polling =
                CompletableFuture.runAsync(() -> dispatch(dispatcher, Lane.BULK, bulk, bulkAcks));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(held.started()).hasSize(2));

        // the bulk lane is full: an interactive job still goes at once
        List<JobId> interactive = slice.saveQueued(Lane.INTERACTIVE, 1);
        Acks interactiveAcks = new Acks();
        dispatcher.dispatch(Lane.INTERACTIVE, submitted(interactive), interactiveAcks);
        assertThat(interactiveAcks.acknowledged()).isEqualTo(1);
        assertThat(polling).isNotDone();

        held.end(held.started().getFirst());

        polling.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(bulkAcks.acknowledged()).isEqualTo(1);
        assertThat(bulkAcks.nacked()).isEmpty();
        bulk.forEach(id -> assertThatJob(slice.job(id)).isRunningUnder("worker-a", 1));
    }

    @Test
    void aClaimThatFailsFailsItsRecordOnlyAndTheRecordsBeforeItAreClaimed() {
        HeldRuns held = new HeldRuns();
        JobDispatcher dispatcher = dispatcher("worker-a", held, 4, Duration.ofSeconds(10));
        List<JobId> ids = slice.saveQueued(Lane.INTERACTIVE, 3);
        slice.jdbc()
                .sql("update transcription_jobs set known_speakers = '{not json' where id = :id")
                .param("id", ids.get(1).value())
                .update();
        Acks acks = new Acks();

        assertThatThrownBy(() -> dispatcher.dispatch(Lane.INTERACTIVE, submitted(ids), acks))
                .isInstanceOfSatisfying(
                        BatchListenerFailedException.class,
                        e -> assertThat(e.getIndex()).isEqualTo(1));

        assertThat(acks.acknowledged()).isZero();
        assertThatJob(slice.job(ids.get(0))).isRunningUnder("worker-a", 1);
        slice.jdbc() // readable again, to look at it
                .sql("update transcription_jobs set known_speakers = null where id = :id")
                .param("id", ids.get(1).value())
                .update();
        assertThatJob(slice.job(ids.get(1)))
                .as("the claim that could not read the row gave it back")
                .isQueued()
                .hasAttempts(0);
    }

    @Test
    void aRecordWithNoJobIdIsPassedWithoutASlotAndTheJobsAroundItRun() throws Exception {
        // a record that names no job (a producer's bug, an older or newer format; its listener has dead-lettered it):
        // passed, taking none of the lane's one slot, so the jobs before and after it in the poll are claimed as usual
        JobDispatcher dispatcher = dispatcher("worker-a", new HeldRuns(), 2, Duration.ofSeconds(1));
        List<JobId> jobs = slice.saveQueued(Lane.ASYNC, 2);
        Acks acks = new Acks();

        assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> dispatcher.dispatch(
                        Lane.ASYNC,
                        List.of(
                                new JobDispatcher.Submitted(jobs.get(0), null),
                                new JobDispatcher.Submitted(null, null),
                                new JobDispatcher.Submitted(jobs.get(1), null)),
                        acks));

        assertThat(acks.acknowledged()).isEqualTo(1);
        assertThat(acks.nacked()).isEmpty();
        for (JobId job : jobs) {
            assertThatJob(slice.job(job)).isRunningUnder("worker-a", 1);
        }
    }

    @Test
    void aRecordWithNoJobIdThatCannotBePutAsideFailsAloneAndTheJobsBeforeItAreClaimed() throws Exception {
        // its dead-lettering failed (the broker away): that record fails, to be tried again by the container; the
        // records before it are claimed and committed, not the whole poll sent back
        JobDispatcher dispatcher = dispatcher("worker-a", new HeldRuns(), 2, Duration.ofSeconds(1));
        List<JobId> jobs = slice.saveQueued(Lane.ASYNC, 1);
        Acks acks = new Acks();

        assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThatThrownBy(() -> dispatcher.dispatch(
                                Lane.ASYNC,
                                List.of(
                                        new JobDispatcher.Submitted(jobs.get(0), null),
                                        new JobDispatcher.Submitted(null, null, () -> {
                                            throw new IllegalStateException("the broker is away");
                                        })),
                                acks))
                        .isInstanceOfSatisfying(
                                BatchListenerFailedException.class,
                                e -> assertThat(e.getIndex()).isEqualTo(1)));

        assertThatJob(slice.job(jobs.get(0))).isRunningUnder("worker-a", 1);
    }

    @Test
    void aRowThatCannotBeReadOnItsSecondStartGoesBackAsItWasExceptItsLease() {
        // a first start by a worker that died: RUNNING under a lease that has run out, started an hour ago
        JobId id = claimedUnreadable("state = 'RUNNING', lease_owner = 'worker-a', claims = 1, attempts = 1,"
                + " lease_until = now() - interval '1 minute', started_at = now() - interval '1 hour'");

        assertThatJob(slice.job(id))
                .as("given back to the queue, its first start still counted")
                .isQueued()
                .hasAttempts(1);
        assertThat(startedAnHourAgo(id)).as("its first start's time kept").contains(true);
    }

    @Test
    void aRowHandedBackThatCannotBeReadKeepsTheStartTimeItHad() {
        // handed back by a worker that stopped: queued again, its start not counted, its start time kept
        JobId id = claimedUnreadable("claims = 1, attempts = 0, started_at = now() - interval '1 hour'");

        assertThatJob(slice.job(id)).isQueued().hasAttempts(0);
        assertThat(startedAnHourAgo(id)).as("its start time kept").contains(true);
    }

    /**
     * A queued job set as {@code columns} say, with a column no claim can read, dispatched to another worker: its
     * record fails. Returns the job, made readable again to look at it.
     */
    private JobId claimedUnreadable(String columns) {
        JobDispatcher dispatcher = dispatcher("worker-b", new HeldRuns(), 4, Duration.ofSeconds(10));
        JobId id = slice.saveQueued(Lane.INTERACTIVE, 1).getFirst();
        slice.jdbc()
                .sql("update transcription_jobs set " + columns + ", known_speakers = '{not json' where id = :id")
                .param("id", id.value())
                .update();

        assertThatThrownBy(() -> dispatcher.dispatch(Lane.INTERACTIVE, submitted(List.of(id)), new Acks()))
                .isInstanceOf(BatchListenerFailedException.class);

        slice.jdbc()
                .sql("update transcription_jobs set known_speakers = null where id = :id")
                .param("id", id.value())
                .update();
        return id;
    }

    private static Optional<Boolean> startedAnHourAgo(JobId id) {
        return slice.jdbc()
                .sql("select started_at < now() - interval '59 minutes' from transcription_jobs where id = :id")
                .param("id", id.value())
                .query(Boolean.class)
                .optional();
    }

    @Test
    void aDirectRunWhoseWorkerBeginsToStopWhileItsAudioComesLeavesTheJobQueuedAndItsSlotFree() {
        JobDispatcher dispatcher = oneSlotForDirectRuns();
        JobId id = slice.saveQueued(Lane.INTERACTIVE, 1).getFirst();

        JobDispatcher.DirectRun refused = dispatcher.runHere(id, null, () -> {
            dispatcher.stop(); // a slow sender's body arrives as the worker begins to stop
            return new byte[16];
        });

        assertThat(refused).as("the api sends the job's event").isInstanceOf(JobDispatcher.DirectRun.NoSlot.class);
        assertThatJob(slice.job(id)).isQueued().hasAttempts(0);
        assertThat(dispatcher.directClaimsUnderWay()).isZero();
        dispatcher.start();
        assertThat(dispatcher.runHere(id, null, () -> null)).isInstanceOf(JobDispatcher.DirectRun.Ran.class);
    }

    @Test
    void aDirectRunWhoseAudioCannotBeReadGivesItsSlotBack() {
        JobDispatcher dispatcher = oneSlotForDirectRuns();
        JobId id = slice.saveQueued(Lane.INTERACTIVE, 1).getFirst();

        assertThatThrownBy(() -> dispatcher.runHere(id, null, () -> {
                    throw new OutOfMemoryError("reading the body");
                }))
                .satisfiesAnyOf(
                        thrown -> assertThat(thrown).isInstanceOf(OutOfMemoryError.class),
                        thrown -> assertThat(thrown).hasCauseInstanceOf(OutOfMemoryError.class));

        assertThat(dispatcher.directClaimsUnderWay()).isZero();
        assertThatJob(slice.job(id)).isQueued().hasAttempts(0);
        assertThat(dispatcher.runHere(id, null, () -> null))
                .as("the lane's one slot is free")
                .isInstanceOf(JobDispatcher.DirectRun.Ran.class);
    }

    @Test
    void twoWorkersGivenTheSameJobsRunEachOnce() {
        HeldRuns heldA = new HeldRuns();
        HeldRuns heldB = new HeldRuns();
        JobDispatcher a = dispatcher("worker-a", heldA, 16, Duration.ofSeconds(10));
        JobDispatcher b = dispatcher("worker-b", heldB, 16, Duration.ofSeconds(10));
        List<JobId> ids = slice.saveQueued(Lane.INTERACTIVE, 12);
        Acks acksA = new Acks();
        Acks acksB = new Acks();

        List<Race.Outcome<Object>> outcomes = Race.run(List.<Callable<Object>>of(
                () -> dispatch(a, Lane.INTERACTIVE, ids, acksA), () -> dispatch(b, Lane.INTERACTIVE, ids, acksB)));

        assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNull());
        assertThat(acksA.acknowledged()).isEqualTo(1);
        assertThat(acksB.acknowledged()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                heldA.started().size() + heldB.started().size())
                        .isEqualTo(ids.size()));
        List<JobId> all = new ArrayList<>(heldA.started());
        all.addAll(heldB.started());
        assertThat(all).containsExactlyInAnyOrderElementsOf(ids);
        heldA.started().forEach(id -> assertThatJob(slice.job(id)).isRunningUnder("worker-a", 1));
        heldB.started().forEach(id -> assertThatJob(slice.job(id)).isRunningUnder("worker-b", 1));
    }

    // --- helpers ---

    /** A dispatcher of one slot per lane whose runs end as they start, for the direct runs' tests. */
    private JobDispatcher oneSlotForDirectRuns() {
        HeldRuns held = new HeldRuns();
        held.endAll();
        return dispatcher("worker-a", held, 1, Duration.ofSeconds(10));
    }

    private static final Duration PAUSE = Duration.ofMillis(500);

    /** A dispatcher of worker {@code id} with {@code slots} slots in each lane. */
    private JobDispatcher dispatcher(String id, HeldRuns held, int slots, Duration fullLaneWait) {
        WorkerProperties properties = new WorkerProperties(
                id,
                slots,
                slots,
                slots,
                LEASE,
                Duration.ofSeconds(20),
                Duration.ofSeconds(15),
                5,
                Duration.ofSeconds(5),
                Set.of(Lane.values()));
        JobDispatcher dispatcher = new JobDispatcher(
                slice.bean(JobLifecycle.class),
                held,
                new WorkerIdentity(properties),
                properties,
                new QueueProperties(fullLaneWait, PAUSE, Duration.ofSeconds(30), Duration.ofSeconds(10)),
                slice.bean(StageTimers.class),
                slice.bean(Traces.class));
        dispatchers.add(dispatcher);
        runs.add(held);
        return dispatcher;
    }

    private static Object dispatch(JobDispatcher dispatcher, Lane lane, List<JobId> ids, Acks acks) {
        try {
            dispatcher.dispatch(lane, submitted(ids), acks);
            return null;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<JobDispatcher.Submitted> submitted(List<JobId> ids) {
        return ids.stream().map(id -> new JobDispatcher.Submitted(id, null)).toList();
    }

    private static List<java.util.UUID> values(List<JobId> ids) {
        return ids.stream().map(JobId::value).toList();
    }

    /** A hand-back: how many records of the poll were kept, and for how long the lane pauses. */
    record Nack(int index, Duration sleep) {}

    /** What the listener's container is told of a poll. */
    static final class Acks implements Acknowledgment {

        private final java.util.concurrent.atomic.AtomicInteger acknowledged =
                new java.util.concurrent.atomic.AtomicInteger();
        private final List<Nack> nacked = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void acknowledge() {
            acknowledged.incrementAndGet();
        }

        @Override
        public void nack(int index, Duration sleep) {
            nacked.add(new Nack(index, sleep));
        }

        int acknowledged() {
            return acknowledged.get();
        }

        List<Nack> nacked() {
            return List.copyOf(nacked);
        }
    }
}
