package dev.transcriber.worker.jobs;

import static dev.transcriber.standalone.support.JobAssert.assertThatJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.transcript.PieceSpan;
import dev.transcriber.standalone.support.Race;
import dev.transcriber.standalone.support.WorkerSlice;
import dev.transcriber.worker.WorkerIdentity;
import dev.transcriber.worker.WorkerProperties;
import dev.transcriber.worker.audio.AudioSplitter;
import dev.transcriber.worker.diarization.JobSpeakers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leases on a real PostgreSQL ({@link Leases}): a worker renews the leases of the jobs it runs and of no others, and
 * the reaper puts back on the queue the jobs whose worker stopped renewing (the attempt stays counted), fails those
 * started max-attempts times, leaves alone jobs waiting for their pieces, and recovers each abandoned job once however
 * many workers' reapers run at the same time. Time is the test's clock: a lease runs out when the test moves it on.
 */
class LeasesTest {

    private static final Duration LEASE = Duration.ofMinutes(2);
    private static final int MAX_ATTEMPTS = 2;

    private static WorkerSlice slice;

    private final List<JobDispatcher> dispatchers = new ArrayList<>();
    private final List<HeldRuns> runs = new ArrayList<>();
    private JobLifecycle lifecycle;

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(
                LeasesTest.class, JobLifecycle.class, ClaimFence.class, JobTransitions.class, JobSpeakers.class);
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
        lifecycle = slice.bean(JobLifecycle.class);
    }

    @AfterEach
    void endRuns() throws InterruptedException {
        runs.forEach(HeldRuns::endAll);
        for (JobDispatcher dispatcher : dispatchers) {
            dispatcher.drain();
        }
    }

    @Test
    void aWorkerRenewsTheLeasesOfTheJobsItRunsAndTheReaperTakesOnlyTheJobsNobodyRenewed() throws Exception {
        Worker a = worker("worker-a");
        List<JobId> running = slice.saveQueued(Lane.INTERACTIVE, 3);
        a.dispatcher().dispatch(Lane.INTERACTIVE, submitted(running), new JobDispatcherTest.Acks());
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(a.runs().started()).hasSize(3));
        JobId cancelled = running.get(2);
        slice.change(cancelled, j -> j.cancel(slice.clock().instant()));
        JobId elsewhere = slice.saveQueued(Lane.INTERACTIVE, 1).getFirst();
        lifecycle.claim(elsewhere, "worker-b", LEASE).orElseThrow();

        slice.clock().advance(Duration.ofSeconds(90));
        a.leases().renew();

        for (JobId id : running.subList(0, 2)) {
            assertThatJob(slice.job(id)).isRunningUnder("worker-a", 1);
            assertThat(slice.job(id).leaseUntil())
                    .isEqualTo(slice.clock().instant().plus(LEASE));
        }
        assertThatJob(slice.job(cancelled)).isCancelled();
        assertThat(slice.job(elsewhere).leaseUntil())
                .isEqualTo(slice.clock().instant().minusSeconds(90).plus(LEASE));

        slice.clock().advance(Duration.ofSeconds(60)); // past worker-b's lease, within worker-a's renewed ones
        a.leases().recoverAbandoned();

        assertThatJob(slice.job(elsewhere)).isQueued().hasAttempts(1);
        for (JobId id : running.subList(0, 2)) {
            assertThatJob(slice.job(id)).isRunningUnder("worker-a", 1);
        }
        assertThatJob(slice.job(cancelled)).isCancelled();
    }

    @Test
    void anAbandonedJobGoesBackToTheQueueWithItsAttemptCountedAndIsAnnouncedAgain() {
        Worker reaper = worker("worker-reaper");
        JobId id = slice.saveQueued(Lane.ASYNC, 1).getFirst();
        Claim gone = lifecycle.claim(id, "worker-gone", LEASE).orElseThrow().claim();
        double requeued = slice.count(RecoveryCounters.METER, "action", "requeued");

        slice.clock().advance(LEASE);
        reaper.leases().recoverAbandoned();
        assertThatJob(slice.job(id)).as("at the lease's very end").isRunningUnder("worker-gone", 1);

        slice.clock().advance(Duration.ofMillis(1));
        reaper.leases().recoverAbandoned();

        assertThatJob(slice.job(id)).isQueued().hasAttempts(1);
        assertThat(slice.outbox(Lane.ASYNC.topic(), id)).hasSize(1);
        assertThat(slice.count(RecoveryCounters.METER, "action", "requeued") - requeued)
                .isEqualTo(1);
        assertThatThrownBy(() -> lifecycle.holds(gone)).isInstanceOf(StaleClaimException.class);

        Claim next = lifecycle.claim(id, "worker-next", LEASE).orElseThrow().claim();
        assertThat(next.number()).isEqualTo(2);
        assertThatJob(slice.job(id)).isRunningUnder("worker-next", 2).hasAttempts(2);
    }

    @Test
    void aJobAbandonedOnItsLastAttemptFailsAndItsEndIsAnnounced() {
        Worker reaper = worker("worker-reaper");
        JobId id = slice.saveQueued(Lane.INTERACTIVE, 1).getFirst();
        double failed = slice.count(RecoveryCounters.METER, "action", "failed");
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            lifecycle.claim(id, "worker-gone-" + attempt, LEASE).orElseThrow();
            slice.clock().advance(LEASE.plusSeconds(1));
            reaper.leases().recoverAbandoned();
        }

        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasFailed(FailureCode.INTERNAL).hasAttempts(MAX_ATTEMPTS);
        assertThat(job.failureMessage()).isEqualTo("The job was started 2 times without finishing.");
        assertThat(slice.sent(Topics.FINISHED, id))
                .singleElement()
                .satisfies(m -> assertThat(m.payload()).contains("FAILED"));
        assertThat(slice.outbox(Lane.INTERACTIVE.topic(), id))
                .as("requeued once, then failed")
                .hasSize(1);
        assertThat(slice.count(RecoveryCounters.METER, "action", "failed") - failed)
                .isEqualTo(1);
    }

    @Test
    void aJobWaitingForItsPiecesIsLeftAloneAndAnAbandonedPieceOnItsLastAttemptFailsItsJob() {
        Worker reaper = worker("worker-reaper");
        JobId id = slice.saveQueued(Lane.INTERACTIVE, 1).getFirst();
        Claim claim = lifecycle.claim(id, "worker-a", LEASE).orElseThrow().claim();
        lifecycle.startCutting(claim);
        lifecycle.addPiece(
                claim, new AudioSplitter.StoredPiece(0, "pieces/" + id + "/0", 1000, new PieceSpan(0, 30, 0, 30)));
        lifecycle.finishCutting(claim, 30.0, 1);
        JobId piece = slice.jobs().findPieces(id.value()).getFirst().id();

        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            lifecycle.claim(piece, "worker-gone-" + attempt, LEASE).orElseThrow();
            slice.clock().advance(Duration.ofHours(1));
            reaper.leases().recoverAbandoned();
            if (attempt < MAX_ATTEMPTS) {
                assertThatJob(slice.job(piece)).isQueued().hasAttempts(attempt);
                assertThatJob(slice.job(id)).isAwaitingPieces(1);
            }
        }

        assertThatJob(slice.job(piece)).hasFailed(FailureCode.INTERNAL);
        assertThatJob(slice.job(id)).hasFailed(FailureCode.INTERNAL);
        assertThat(slice.sent(Topics.FINISHED, id)).hasSize(1);
        assertThat(slice.sent(Topics.FINISHED, piece)).isEmpty();
    }

    @Test
    void reapersOfSeveralWorkersRunningAtOnceRecoverEachAbandonedJobOnce() {
        List<Worker> reapers = List.of(worker("reaper-1"), worker("reaper-2"), worker("reaper-3"));
        List<JobId> abandoned = slice.saveQueued(Lane.BULK, 20);
        abandoned.forEach(id -> lifecycle.claim(id, "worker-gone", LEASE).orElseThrow());
        slice.clock().advance(LEASE.plusSeconds(1));
        double requeued = slice.count(RecoveryCounters.METER, "action", "requeued");
        double failures = slice.count("transcriber.jobs.recovery.failures");

        List<Race.Outcome<Object>> outcomes = Race.run(reapers.stream()
                .map(r -> (Callable<Object>) () -> {
                    r.leases().recoverAbandoned();
                    return null;
                })
                .toList());

        assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNull());
        for (JobId id : abandoned) {
            assertThatJob(slice.job(id)).isQueued().hasAttempts(1);
            assertThat(slice.outbox(Lane.BULK.topic(), id))
                    .as("announcements of %s", id)
                    .hasSize(1);
        }
        assertThat(slice.count(RecoveryCounters.METER, "action", "requeued") - requeued)
                .isEqualTo(abandoned.size());
        assertThat(slice.count("transcriber.jobs.recovery.failures") - failures)
                .as("a job another reaper recovered first is no failure")
                .isZero();
    }

    // --- helpers ---

    /** One worker: its dispatcher (whose runs last until the test ends them) and its leases. */
    private record Worker(JobDispatcher dispatcher, HeldRuns runs, Leases leases) {}

    private Worker worker(String id) {
        WorkerProperties properties = new WorkerProperties(
                id,
                8,
                8,
                8,
                LEASE,
                Duration.ofSeconds(20),
                Duration.ofSeconds(15),
                MAX_ATTEMPTS,
                Duration.ofSeconds(5),
                Set.of(Lane.values()));
        WorkerIdentity identity = new WorkerIdentity(properties);
        HeldRuns held = new HeldRuns();
        JobDispatcher dispatcher = new JobDispatcher(
                lifecycle,
                held,
                identity,
                properties,
                new QueueProperties(
                        Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(10)),
                slice.bean(StageTimers.class),
                slice.bean(Traces.class));
        dispatchers.add(dispatcher);
        runs.add(held);
        return new Worker(
                dispatcher,
                held,
                new Leases(
                        lifecycle,
                        dispatcher,
                        identity,
                        properties,
                        slice.clock(),
                        slice.meters(),
                        new RecoveryCounters(slice.meters())));
    }

    private static List<JobDispatcher.Submitted> submitted(List<JobId> ids) {
        return ids.stream().map(id -> new JobDispatcher.Submitted(id, null)).toList();
    }
}
