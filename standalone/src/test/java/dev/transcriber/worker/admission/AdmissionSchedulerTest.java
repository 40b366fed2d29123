package dev.transcriber.worker.admission;

import static dev.transcriber.standalone.support.JobAssert.assertThatJob;
import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.PieceSpan;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.standalone.support.BoundedThreads;
import dev.transcriber.standalone.support.JobAssert;
import dev.transcriber.standalone.support.Race;
import dev.transcriber.standalone.support.WorkerSlice;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The admission scheduler ({@link AdmissionScheduler}) on a real PostgreSQL: a key whose cap queues gets no more jobs
 * out than its cap, oldest first; bulk jobs go out within the window, keys taking turns; batch items wait for their
 * batch's expansion, pieces for their wave, and cancelled jobs stay where they are; and however many workers' schedulers
 * run at once, one decides at a time, so neither a cap nor the window is ever exceeded and no job is released twice.
 */
class AdmissionSchedulerTest {

    private static final int WINDOW = 4;

    private static WorkerSlice slice;

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(AdmissionSchedulerTest.class);
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

    @Test
    void aKeyWhoseCapQueuesGetsNoMoreJobsOutThanItsCapOldestFirst() {
        UUID key = queueingKey(2);
        List<JobId> held = held(key, Lane.ASYNC, 5);
        AdmissionScheduler scheduler = scheduler();

        scheduler.tick();
        scheduler.tick();

        assertReleased(held.subList(0, 2));
        held.subList(2, 5).forEach(id -> assertThatJob(slice.job(id)).isHeld());
        assertThat(unfinishedOut(key)).isEqualTo(2);

        slice.change(held.get(0), j -> j.cancel(slice.clock().instant()));
        scheduler.tick();

        assertReleased(held.subList(1, 3));
        held.subList(3, 5).forEach(id -> assertThatJob(slice.job(id)).isHeld());
        assertThat(unfinishedOut(key)).isEqualTo(2);
    }

    @Test
    void aKeyWithoutACapOrThatRefusesOverItHasItsHeldJobsReleasedAtOnce() {
        UUID open = slice.apiKey("open", k -> {});
        UUID refusing = slice.apiKey("refusing", k -> k.limit(null, null, 1));
        List<JobId> openJobs = held(open, Lane.ASYNC, 3);
        List<JobId> refusingJobs = held(refusing, Lane.INTERACTIVE, 2);

        scheduler().tick();

        assertReleased(openJobs);
        assertReleased(refusingJobs);
    }

    @Test
    void bulkJobsGoOutWithinTheWindowAndKeysTakeTurns() {
        UUID big = slice.apiKey("big", k -> {});
        UUID small = slice.apiKey("small", k -> {});
        List<JobId> bigJobs = held(big, Lane.BULK, 10);
        List<JobId> smallJobs = held(small, Lane.BULK, 2);
        AdmissionScheduler scheduler = scheduler();

        scheduler.tick();
        scheduler.tick();

        assertReleased(bigJobs.subList(0, 2));
        assertReleased(smallJobs);
        bigJobs.subList(2, 10).forEach(id -> assertThatJob(slice.job(id)).isHeld());
        assertThat(bulkOut()).isEqualTo(WINDOW);

        slice.change(smallJobs.get(0), j -> j.cancel(slice.clock().instant()));
        slice.change(smallJobs.get(1), j -> j.cancel(slice.clock().instant()));
        scheduler.tick();

        assertReleased(bigJobs.subList(0, 4));
        bigJobs.subList(4, 10).forEach(id -> assertThatJob(slice.job(id)).isHeld());
        assertThat(bulkOut()).isEqualTo(WINDOW);
    }

    @Test
    void batchItemsWaitForTheirBatchsExpansionAndPiecesForTheirWave() {
        UUID key = slice.apiKey("batches", k -> {});
        TranscriptionBatch batch = slice.bean(BatchRepository.class)
                .save(TranscriptionBatch.expanding(
                        UUID.randomUUID(),
                        key,
                        BatchSource.ITEMS,
                        "[]",
                        "{}",
                        Map.of(),
                        null,
                        false,
                        false,
                        slice.clock().instant()));
        JobId item = save(TranscriptionJob.batchItem(
                JobId.random(),
                batch,
                0,
                spec(),
                audio(),
                Map.of(),
                slice.clock().instant()));
        TranscriptionJob parent = slice.jobs().save(job(key, Lane.INTERACTIVE));
        TranscriptionJob piece = TranscriptionJob.piece(
                JobId.random(),
                parent,
                1,
                audio(),
                new PieceSpan(30, 30, 30, 60),
                slice.clock().instant());
        piece.hold();
        JobId heldPiece = save(piece);
        AdmissionScheduler scheduler = scheduler();

        scheduler.tick();

        assertThatJob(slice.job(item)).isHeld();
        assertThatJob(slice.job(heldPiece)).isHeld();

        slice.transactions()
                .executeWithoutResult(status -> slice.bean(BatchRepository.class)
                        .findById(batch.id())
                        .orElseThrow()
                        .expanded(1, null, slice.clock().instant()));
        scheduler.tick();

        assertReleased(List.of(item));
        assertThatJob(slice.job(heldPiece)).isHeld();
        assertThat(slice.outbox().stream().filter(m -> m.key().equals(heldPiece.toString())))
                .isEmpty();
    }

    @Test
    void aHeldJobCancelledByItsOwnerStaysCancelled() {
        UUID key = queueingKey(5);
        List<JobId> held = held(key, Lane.ASYNC, 2);
        slice.change(held.get(0), j -> j.cancel(slice.clock().instant()));

        scheduler().tick();

        assertThatJob(slice.job(held.get(0))).isCancelled();
        assertThat(slice.outbox(Lane.ASYNC.topic(), held.get(0))).isEmpty();
        assertReleased(held.subList(1, 2));
    }

    @Test
    void oneSchedulerDecidesAtATimeAnotherFindsTheDecisionTakenAndLeavesIt() {
        UUID key = queueingKey(1);
        List<JobId> held = held(key, Lane.ASYNC, 3);
        AdmissionScheduler first = scheduler();
        AdmissionScheduler second = scheduler();
        TransactionTemplate transactions = slice.transactions();

        Integer released;
        // closed after the first decision's transaction ended: a scheduler that waited for it would be let go
        try (BoundedThreads otherWorker = BoundedThreads.of(1, "other-worker")) {
            released = transactions.execute(status -> {
                int mine = first.releaseDue();
                // the first decision has not committed: the other worker's scheduler does not decide meanwhile
                Integer theirs = BoundedThreads.join(
                        otherWorker.submit(() -> transactions.execute(s -> second.releaseDue())),
                        Duration.ofSeconds(30),
                        "the other worker's scheduler");
                assertThat(theirs).isZero();
                return mine;
            });
        }

        assertThat(released).isEqualTo(1);
        Integer afterwards = transactions.execute(s -> second.releaseDue());
        assertThat(afterwards).as("the cap is taken").isZero();
        assertReleased(held.subList(0, 1));
        held.subList(1, 3).forEach(id -> assertThatJob(slice.job(id)).isHeld());
    }

    @Test
    void schedulersOfManyWorkersRunningAtOnceNeverReleaseBeyondACapOrTheWindow() {
        UUID capped = queueingKey(3);
        UUID bulkA = slice.apiKey("bulk-a", k -> {});
        UUID bulkB = slice.apiKey("bulk-b", k -> {});
        List<JobId> cappedJobs = held(capped, Lane.ASYNC, 10);
        List<JobId> bulkJobs = new java.util.ArrayList<>(held(bulkA, Lane.BULK, 12));
        bulkJobs.addAll(held(bulkB, Lane.BULK, 12));
        List<AdmissionScheduler> schedulers =
                IntStream.range(0, 6).mapToObj(i -> scheduler()).toList();

        for (int round = 0; round < 3; round++) {
            List<Race.Outcome<Object>> outcomes = Race.run(schedulers.stream()
                    .map(s -> (java.util.concurrent.Callable<Object>) () -> {
                        for (int tick = 0; tick < 4; tick++) {
                            s.tick();
                        }
                        return null;
                    })
                    .toList());

            assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNull());
            assertThat(unfinishedOut(capped)).as("round %s: the cap", round).isEqualTo(3);
            assertThat(bulkOut()).as("round %s: the window", round).isEqualTo(WINDOW);
            assertThat(unfinishedOut(bulkA))
                    .as("round %s: keys take turns", round)
                    .isEqualTo(2);
            // some of what went out ends before the next round
            endOneOutOf(capped);
            endOneOutOf(bulkA);
            endOneOutOf(bulkB);
        }
        for (JobId id : concat(cappedJobs, bulkJobs)) {
            TranscriptionJob job = slice.job(id);
            assertThat(slice.outbox(job.lane().topic(), id))
                    .as("announcements of %s", id)
                    .hasSize(job.state() == JobState.HELD ? 0 : 1);
        }
    }

    // --- helpers ---

    private static AdmissionScheduler scheduler() {
        return new AdmissionScheduler(
                slice.jdbc(),
                slice.bean(JobRepository.class),
                slice.bean(Outbox.class),
                slice.transactions(),
                new AdmissionProperties(Duration.ofSeconds(5), WINDOW),
                slice.bean(Wakeups.class));
    }

    private static UUID queueingKey(int cap) {
        return slice.apiKey("capped-" + cap, k -> {
            k.limit(null, null, cap);
            k.concurrentJobsMode("queue");
        });
    }

    /** {@code count} held jobs of {@code key}, oldest first. */
    private static List<JobId> held(UUID key, Lane lane, int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> {
                    slice.clock().advance(Duration.ofMillis(1));
                    TranscriptionJob job = job(key, lane);
                    job.hold();
                    return save(job);
                })
                .toList();
    }

    private static TranscriptionJob job(UUID key, Lane lane) {
        return TranscriptionJob.queued(
                JobId.random(), key, lane, spec(), audio(), slice.clock().instant());
    }

    private static JobSpec spec() {
        return new JobSpec("gpt-4o-transcribe", "json", null, null, null);
    }

    private static StoredAudio audio() {
        return new StoredAudio("audio/" + UUID.randomUUID(), "clip.wav", "audio/wav", 1000);
    }

    private static JobId save(TranscriptionJob job) {
        return slice.jobs().save(job).id();
    }

    /** Each of {@code ids} is out of the scheduler's hands: queued on its lane, announced there once. */
    private static void assertReleased(List<JobId> ids) {
        for (JobId id : ids) {
            TranscriptionJob job = slice.job(id);
            if (!job.state().isTerminal()) {
                assertThatJob(job).isQueued();
            }
            assertThat(slice.outbox(job.lane().topic(), id))
                    .as("announcements of %s", id)
                    .hasSize(1);
        }
    }

    /** A key's jobs counted against its cap. */
    private static int unfinishedOut(UUID key) {
        return outOf(key).size();
    }

    /** Bulk jobs counted against the window. */
    private static int bulkOut() {
        return (int) slice.jobs().findAll().stream()
                .filter(j -> !j.isPiece() && j.lane() == Lane.BULK && JobAssert.isOut(j))
                .count();
    }

    /** The oldest of a key's jobs out ends (its owner cancels it). */
    private static void endOneOutOf(UUID key) {
        JobId oldest = outOf(key).getFirst().id();
        slice.change(oldest, j -> j.cancel(slice.clock().instant()));
    }

    /** A key's whole jobs out of the scheduler's hands and not ended, oldest first. */
    private static List<TranscriptionJob> outOf(UUID key) {
        return slice.jobs().findAll().stream()
                .filter(j -> key.equals(j.apiKeyId()) && !j.isPiece() && JobAssert.isOut(j))
                .sorted(java.util.Comparator.comparing(TranscriptionJob::createdAt))
                .toList();
    }

    private static List<JobId> concat(List<JobId> a, List<JobId> b) {
        List<JobId> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
