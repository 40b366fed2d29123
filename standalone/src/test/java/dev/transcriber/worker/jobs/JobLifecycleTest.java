package dev.transcriber.worker.jobs;

import static dev.transcriber.standalone.support.JobAssert.assertThatJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.store.ChunkingStrategy;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.store.KnownSpeaker;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.PieceSpan;
import dev.transcriber.common.transcript.TimestampGranularity;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import dev.transcriber.standalone.support.Race;
import dev.transcriber.standalone.support.WorkerSlice;
import dev.transcriber.worker.audio.AudioFetcher;
import dev.transcriber.worker.audio.AudioSplitter;
import dev.transcriber.worker.diarization.JobSpeakers;
import dev.transcriber.worker.diarization.Speaker;
import dev.transcriber.worker.diarization.SpeakerLabels;
import dev.transcriber.worker.retention.TranscriptRetention;
import dev.transcriber.worker.usage.UsageLedger;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's changes to job rows ({@link JobLifecycle}) on a real PostgreSQL, one transition at a time: the claim
 * and the transitions it refuses, success, failure and an owner's retry, fan-out into pieces and fan-in of their
 * transcripts, a diarized job's waves, the owner's cancel under a running worker, and the fence on the claim's owner
 * and number. The races (two workers claiming one job, pieces finishing at once) run on threads of their own against
 * the same rows.
 */
class JobLifecycleTest {

    private static final Duration LEASE = Duration.ofMinutes(2);

    private static WorkerSlice slice;

    private JobLifecycle lifecycle;

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(
                JobLifecycleTest.class,
                JobLifecycle.class,
                ClaimFence.class,
                JobTransitions.class,
                JobSpeakers.class,
                TranscriptRetention.class);
    }

    @AfterAll
    static void stop() {
        if (slice != null) {
            slice.close();
        }
    }

    @BeforeEach
    void lifecycle() {
        lifecycle = slice.bean(JobLifecycle.class);
    }

    // --- the claim ---

    @Test
    void aQueuedJobIsClaimedUnderALeaseAndTheStartCountsAsAnAttempt() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Instant now = slice.clock().instant();

        Optional<RunningJob> claimed = lifecycle.claim(id, "worker-a", LEASE);

        assertThat(claimed).isPresent();
        TranscriptionJob job = slice.job(id);
        assertThatJob(job).isRunningUnder("worker-a", 1).hasAttempts(1);
        assertThat(job.leaseUntil()).isEqualTo(now.plus(LEASE));
        assertThat(job.startedAt()).isEqualTo(now);
        assertThat(claimed.get().claim()).isEqualTo(new Claim(id, "worker-a", 1));
    }

    @Test
    void theClaimReturnsWhatTheRunReadsExactlyAsTheJobRowHoldsIt() {
        JobId id = JobId.random();
        TranscriptionJob job = TranscriptionJob.submitted(
                id,
                null,
                Lane.ASYNC,
                new JobSpec(
                        "gpt-4o-transcribe-diarize",
                        "verbose_json",
                        "de",
                        "Names: Ana, Bo.",
                        0.3,
                        Set.of(TimestampGranularity.WORD, TimestampGranularity.SEGMENT),
                        JobTask.TRANSLATE,
                        true,
                        new ChunkingStrategy("server_vad", 300, 500, 0.4),
                        List.of(
                                new KnownSpeaker("ana", "speakers/" + id + "/0", "audio/wav"),
                                new KnownSpeaker("bo", "speakers/" + id + "/1", null))),
                new StoredAudio("audio/" + id, "talk.mp3", "audio/mpeg", 123_456),
                Map.of("episode", "7"),
                "https://hooks.example.test/done",
                slice.clock().instant());
        job.fetchFrom("https://media.example.test/talk.mp3");
        job.contentHash("ab".repeat(32));
        saved(job);

        RunningJob claimed = lifecycle.claim(id, "worker-a", LEASE).orElseThrow();

        assertThat(claimed).isEqualTo(RunningJob.of(slice.job(id)));
        assertThat(claimed.spec().knownSpeakers()).hasSize(2);
        assertThat(claimed.isPiece()).isFalse();
    }

    @Test
    void theClaimOfAPieceReturnsItsPlaceAndSpanInItsJob() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim whole = claim(id, "worker-a");
        cutInto(whole, id, 2);
        JobId second = slice.jobs().findPieces(id.value()).get(1).id();

        RunningJob claimed = lifecycle.claim(second, "worker-b", LEASE).orElseThrow();

        assertThat(claimed).isEqualTo(RunningJob.of(slice.job(second)));
        assertThat(claimed.parentId()).isEqualTo(id);
        assertThat(claimed.pieceIndex()).isEqualTo(1);
        assertThat(claimed.pieceSpan()).isEqualTo(new PieceSpan(30.0, 30, 30.0, 60.0));
    }

    @Test
    void aSuccessReturnsWhatItsEndAnnouncesExactlyAsTheJobRowHoldsIt() {
        JobId id = JobId.random();
        TranscriptionJob job = TranscriptionJob.submitted(
                id,
                null,
                Lane.ASYNC,
                spec("json"),
                audio(id),
                Map.of(),
                "https://hooks.example.test/done",
                slice.clock().instant());
        job.tracedFrom("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        saved(job);
        Claim claim = claim(id, "worker-a");

        EndedJob ended = slice.bean(JobTransitions.class)
                .succeed(
                        claim,
                        "{\"text\":\"hi\"}",
                        "account-a",
                        12.5,
                        slice.clock().instant(),
                        new UsageLedger.Entry("gpt-4o-transcribe", 0, 0, 0, 0, 0))
                .orElseThrow();

        assertThat(ended).isEqualTo(EndedJob.of(slice.job(id)));
        assertThat(ended.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(ended.durationSeconds()).isEqualTo(12.5);
    }

    @Test
    void aJobUnderALiveLeaseOrEndedIsNotClaimedAndIsLeftAsItWas() {
        JobId running = saved(job(Lane.INTERACTIVE, "json"));
        claim(running, "worker-a");
        JobId succeeded = saved(job(Lane.INTERACTIVE, "json"));
        succeed(claim(succeeded, "worker-a"), text("done"), "account-a", 1.0);
        JobId failed = saved(job(Lane.INTERACTIVE, "json"));
        lifecycle.fail(claim(failed, "worker-a"), FailureCode.UPSTREAM_ERROR, "upstream said no");
        JobId cancelled = saved(job(Lane.INTERACTIVE, "json"));
        slice.change(cancelled, j -> j.cancel(slice.clock().instant()));

        for (JobId id : List.of(running, succeeded, failed, cancelled)) {
            TranscriptionJob before = slice.job(id);
            assertThat(lifecycle.claim(id, "worker-b", LEASE))
                    .as("claim of %s", before.state())
                    .isEmpty();
            TranscriptionJob after = slice.job(id);
            assertThat(after.state()).isEqualTo(before.state());
            assertThat(after.claims()).isEqualTo(before.claims());
            assertThat(after.attempts()).isEqualTo(before.attempts());
            assertThat(after.leaseOwner()).isEqualTo(before.leaseOwner());
        }
    }

    @Test
    void aHeldJobIsNotClaimedItWaitsForTheAdmissionScheduler() {
        TranscriptionJob held = job(Lane.BULK, "json");
        held.hold();
        JobId id = saved(held);

        assertThat(lifecycle.claim(id, "worker-a", LEASE)).isEmpty();

        assertThatJob(slice.job(id)).isHeld().hasAttempts(0);
    }

    @Test
    void aJobWhoseLeaseRanOutIsClaimedByTheNextWorkerAndTheFirstWorkersWritesAreRefused() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim first = claim(id, "worker-a");
        slice.clock().advance(LEASE.plusSeconds(1));

        Claim second = claim(id, "worker-b");

        assertThat(second).isEqualTo(new Claim(id, "worker-b", 2));
        assertThatJob(slice.job(id)).isRunningUnder("worker-b", 2).hasAttempts(2);
        assertThatThrownBy(() -> lifecycle.holds(first)).isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> succeed(first, text("late"), "account-a", 1.0))
                .isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.fail(first, FailureCode.UPSTREAM_ERROR, "late"))
                .isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.failRateLimited(first, slice.clock().instant()))
                .isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.audioFetched(first, new AudioFetcher.Fetched(1, "audio/mpeg", "late")))
                .isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.startCutting(first)).isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.addPiece(first, piece(id, 0))).isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.finishCutting(first, 30.0, 1)).isInstanceOf(StaleClaimException.class);
        assertThat(lifecycle.holds(second)).isTrue();
        lifecycle.audioFetched(second, new AudioFetcher.Fetched(2048, "audio/wav", "sha-of-b"));

        succeed(second, text("on time"), "account-b", 1.0);

        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasSucceeded();
        assertThat(job.transcriptJson()).contains("on time").doesNotContain("late");
        assertThat(job.contentSha256()).isEqualTo("sha-of-b");
        assertThat(job.audio().sizeBytes()).isEqualTo(2048);
        assertThat(slice.jobs().findPieces(id.value())).isEmpty();
        assertThat(slice.count(ClaimFence.STALE_WRITES)).isGreaterThanOrEqualTo(9);
    }

    @Test
    void theFenceIsOnTheClaimsOwnerAndOnItsNumber() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");

        assertThatThrownBy(() -> lifecycle.holds(new Claim(id, "worker-b", claim.number())))
                .isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.holds(new Claim(id, "worker-a", claim.number() + 1)))
                .isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> succeed(new Claim(id, "worker-b", claim.number()), text("x"), "b", 1.0))
                .isInstanceOf(StaleClaimException.class);
        assertThat(lifecycle.holds(claim)).isTrue();
        assertThatJob(slice.job(id)).isRunningUnder("worker-a", 1);
    }

    @Test
    void ofWorkersClaimingTheSameJobAtOnceExactlyOneWins() {
        for (int round = 0; round < 10; round++) {
            JobId id = saved(job(Lane.INTERACTIVE, "json"));
            List<Callable<Optional<RunningJob>>> workers = IntStream.range(0, 6)
                    .mapToObj(w -> (Callable<Optional<RunningJob>>) () -> lifecycle.claim(id, "worker-" + w, LEASE))
                    .toList();

            List<Race.Outcome<Optional<RunningJob>>> outcomes = Race.run(workers);

            assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNull());
            List<RunningJob> winners =
                    outcomes.stream().flatMap(o -> o.value().stream()).toList();
            assertThat(winners).hasSize(1);
            assertThatJob(slice.job(id))
                    .isRunningUnder(winners.getFirst().claim().owner(), 1)
                    .hasAttempts(1);
        }
    }

    // --- success and failure ---

    @Test
    void aSucceededJobKeepsItsTranscriptIsAnnouncedOnceAndASecondSuccessChangesNothing() {
        JobId id = JobId.random();
        saved(TranscriptionJob.submitted(
                id,
                null,
                Lane.ASYNC,
                spec("json"),
                audio(id),
                null,
                "http://127.0.0.1:9/hook",
                slice.clock().instant()));
        Claim claim = claim(id, "worker-a");
        slice.clock().advance(Duration.ofSeconds(3));

        succeed(claim, text("hello there"), "account-a", 2.5);
        succeed(claim, text("again"), "account-b", 9.0);

        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasSucceeded().hasAttempts(1);
        assertThat(job.transcriptJson()).contains("hello there").doesNotContain("again");
        assertThat(job.upstreamAccount()).isEqualTo("account-a");
        assertThat(job.durationSeconds()).isEqualTo(2.5);
        assertThat(job.finishedAt()).isEqualTo(slice.clock().instant());
        assertThat(slice.sent(Topics.FINISHED, id))
                .as("an async job: nobody waits on the api for it")
                .isEmpty();
        assertThat(slice.outbox(Topics.FINISHED, id)).isEmpty();
        assertThat(usageRows(id)).isEqualTo(1);
        assertThat(webhookEvents(id)).containsExactly("transcription_job.succeeded");
    }

    @Test
    void aFailedJobKeepsItsReasonAndAnOwnersRetryGivesAFreshClaimThatFencesTheOldOne() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim first = claim(id, "worker-a");

        lifecycle.fail(first, FailureCode.UPSTREAM_ERROR, "native tool said \0no");

        TranscriptionJob failed = slice.job(id);
        assertThatJob(failed).hasFailed(FailureCode.UPSTREAM_ERROR);
        assertThat(failed.failureMessage()).isEqualTo("native tool said no");
        assertThat(slice.sent(Topics.FINISHED, id))
                .singleElement()
                .satisfies(m -> assertThat(m.payload()).contains("FAILED"));

        slice.change(id, TranscriptionJob::retry);
        assertThatJob(slice.job(id)).isQueued().hasAttempts(0);
        Claim second = claim(id, "worker-b");

        assertThat(second.number()).isEqualTo(2);
        assertThatJob(slice.job(id)).isRunningUnder("worker-b", 2).hasAttempts(1);
        assertThatThrownBy(() -> lifecycle.fail(first, FailureCode.UPSTREAM_ERROR, "late"))
                .isInstanceOf(StaleClaimException.class);
        succeed(second, text("second time"), "account-b", 1.0);
        assertThatJob(slice.job(id)).hasSucceeded();
    }

    @Test
    void aRateLimitedFailureSaysWhenTheQuotaResets() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Instant resets = slice.clock().instant().plus(Duration.ofMillis(90_500));

        lifecycle.failRateLimited(claim(id, "worker-a"), resets);

        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasFailed(FailureCode.RATE_LIMITED);
        assertThat(job.failureResetsAt()).isEqualTo(resets.truncatedTo(ChronoUnit.SECONDS));
        assertThat(job.failureMessage())
                .contains(resets.truncatedTo(ChronoUnit.SECONDS).toString());
    }

    @Test
    void aJobWithNoWebhookAndNoBatchEndsByOneStatementWithItsUsageRowAndItsNotice() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        RunningJob run = lifecycle.claim(id, "worker-a", LEASE).orElseThrow();
        slice.clock().advance(Duration.ofSeconds(2));
        assertThat(run.quietEnd()).isTrue();

        lifecycle.succeed(run, new Transcript("hi", "en", 3.0, Usage.tokens(40, 5, 7)), "account-a", 3.5);

        assertThatJob(slice.job(id)).hasSucceeded();
        assertThat(slice.jdbc()
                        .sql("select model, upstream_account, finished_at, audio_seconds, billed_seconds, input_tokens,"
                                + " output_tokens, audio_tokens, text_tokens from usage_ledger where job_id = :id")
                        .param("id", id.value())
                        .query((rs, row) -> List.of(
                                rs.getString(1),
                                rs.getString(2),
                                rs.getTimestamp(3).toInstant(),
                                rs.getDouble(4),
                                rs.getDouble(5),
                                rs.getLong(6),
                                rs.getLong(7),
                                rs.getLong(8),
                                rs.getLong(9)))
                        .single())
                .containsExactly("gpt-4o-transcribe", "account-a", slice.clock().instant(), 3.5, 0.0, 45L, 7L, 40L, 5L);
        assertThat(slice.sent(Topics.FINISHED, id))
                .singleElement()
                .satisfies(m -> assertThat(m.payload()).contains("SUCCEEDED"));
        assertThat(webhookEvents(id)).isEmpty();
    }

    @Test
    void aSuccessSentAgainAfterItsCommitsAnswerWasLostSendsTheNoticeItLostWithTheRecordedAnswer() {
        JobId quiet = saved(job(Lane.INTERACTIVE, "json"));
        JobId hooked = JobId.random();
        JobId withWebhook = saved(TranscriptionJob.submitted(
                hooked,
                null,
                Lane.INTERACTIVE,
                spec("json"),
                audio(hooked),
                Map.of(),
                "https://hooks.example.test/done",
                slice.clock().instant()));
        for (JobId id : List.of(quiet, withWebhook)) {
            RunningJob run = lifecycle.claim(id, "worker-a", LEASE).orElseThrow();
            assertThat(run.quietEnd()).isEqualTo(id.equals(quiet)); // one statement, or a transaction
            lifecycle.succeed(run, text("recorded"), "account-a", 1.0);

            // its answer lost (and with it the notice sent after it), the run sends the write again (ResultWrites)
            lifecycle.succeed(run, text("recorded"), "account-a", 1.0);

            assertThat(slice.sent(Topics.FINISHED, id))
                    .as("the notice, once for each send: the held request hears the end without polling")
                    .hasSize(2)
                    .allSatisfy(
                            m -> assertThat(m.payload()).contains("SUCCEEDED").contains("recorded"));
            assertThat(usageRows(id)).isEqualTo(1);
        }
        assertThat(webhookEvents(withWebhook))
                .as("the end's other effects are not repeated")
                .containsExactly("transcription_job.succeeded");
    }

    @Test
    void theLastPiecesSuccessSentAgainAfterItsCommitsAnswerWasLostSendsItsJobsNoticeAgain() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");
        cutInto(claim, id, 1);
        TranscriptionJob piece = slice.jobs().findPieces(id.value()).getFirst();
        Claim pieceClaim = claim(piece.id(), "worker-b");
        assertThat(lifecycle.pieceSucceeded(pieceClaim, text("merged"), "account-b"))
                .hasSize(1);
        assertThatJob(slice.job(id)).hasSucceeded();

        assertThat(lifecycle.pieceSucceeded(pieceClaim, text("merged"), "account-b"))
                .isEmpty();

        assertThat(slice.sent(Topics.FINISHED, id))
                .hasSize(2)
                .allSatisfy(m -> assertThat(m.payload()).contains("SUCCEEDED").contains("merged"));
        assertThat(usageRows(id)).isEqualTo(1);
    }

    @Test
    void aJobNoRequestCanBeHeldForEndsWithoutANoticeAnAsyncJobABulkJobAFailedOne() {
        JobId async = saved(job(Lane.ASYNC, "json"));
        JobId bulk = saved(job(Lane.BULK, "json"));
        JobId failing = saved(job(Lane.ASYNC, "json"));
        JobId interactive = saved(job(Lane.INTERACTIVE, "json"));

        lifecycle.succeed(lifecycle.claim(async, "worker-a", LEASE).orElseThrow(), text("async"), "account-a", 1.0);
        succeed(claim(bulk, "worker-a"), text("bulk"), "account-a", 1.0);
        lifecycle.fail(claim(failing, "worker-a"), FailureCode.UPSTREAM_ERROR, "refused");
        lifecycle.succeed(
                lifecycle.claim(interactive, "worker-a", LEASE).orElseThrow(), text("sync"), "account-a", 1.0);

        assertThatJob(slice.job(async)).hasSucceeded();
        assertThatJob(slice.job(bulk)).hasSucceeded();
        assertThatJob(slice.job(failing)).hasFailed(FailureCode.UPSTREAM_ERROR);
        assertThat(slice.sent(Topics.FINISHED, async))
                .as("an async job, ended by one statement")
                .isEmpty();
        assertThat(slice.sent(Topics.FINISHED, bulk)).as("a bulk job").isEmpty();
        assertThat(slice.sent(Topics.FINISHED, failing))
                .as("an async job that failed, in a transaction")
                .isEmpty();
        assertThat(slice.sent(Topics.FINISHED, interactive)).hasSize(1);
        assertThat(usageRows(async)).isEqualTo(1);
        assertThat(usageRows(bulk)).isEqualTo(1);
    }

    @Test
    void anAsyncJobMadeWithAnIdempotencyKeyEndsWithANoticeASyncCallSentWithTheKeyMayBeWaitingForIt() {
        TranscriptionJob keyed = job(Lane.ASYNC, "json");
        keyed.idempotent("retry-7", "request-hash");
        JobId id = saved(keyed);

        lifecycle.succeed(lifecycle.claim(id, "worker-a", LEASE).orElseThrow(), text("keyed"), "account-a", 1.0);

        assertThatJob(slice.job(id)).hasSucceeded();
        assertThat(slice.sent(Topics.FINISHED, id))
                .singleElement()
                .satisfies(m -> assertThat(m.payload()).contains("SUCCEEDED"));
    }

    @Test
    void aJobCancelledByItsOwnerWhileItRunsDropsTheWorkersResultWithoutAnError() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");

        slice.change(id, j -> j.cancel(slice.clock().instant()));

        assertThat(lifecycle.holds(claim)).isFalse();
        succeed(claim, text("too late"), "account-a", 1.0);
        lifecycle.fail(claim, FailureCode.UPSTREAM_ERROR, "too late");
        TranscriptionJob job = slice.job(id);
        assertThatJob(job).isCancelled();
        assertThat(job.transcriptJson()).isNull();
        assertThat(job.failureCode()).isNull();
        assertThat(slice.sent(Topics.FINISHED, id)).isEmpty();
        assertThat(usageRows(id)).isZero();
    }

    @Test
    void aJobHandedBackByItsWorkerIsQueuedAgainWithoutSpendingAnAttempt() {
        JobId id = saved(job(Lane.ASYNC, "json"));
        Claim claim = claim(id, "worker-a");

        assertThat(lifecycle.handBack(id, "worker-b")).isFalse();
        assertThat(lifecycle.handBack(id, "worker-a")).isTrue();
        assertThat(lifecycle.handBack(id, "worker-a")).isFalse();

        assertThatJob(slice.job(id)).isQueued().hasAttempts(0);
        assertThat(slice.outbox(Lane.ASYNC.topic(), id)).hasSize(1);
        assertThatThrownBy(() -> lifecycle.holds(claim)).isInstanceOf(StaleClaimException.class);
    }

    // --- pieces ---

    @Test
    void aJobCutIntoPiecesQueuesEachInItsLaneAndSucceedsWhenItsLastPieceDoes() {
        JobId id = saved(job(Lane.ASYNC, "json"));
        Claim claim = claim(id, "worker-a");

        assertThat(lifecycle.startCutting(claim)).isEmpty();
        for (int index = 0; index < 3; index++) {
            lifecycle.addPiece(claim, piece(id, index));
        }
        assertThat(lifecycle.finishCutting(claim, 90.0, 3)).isEmpty();

        assertThatJob(slice.job(id)).isAwaitingPieces(3);
        assertThat(slice.job(id).durationSeconds()).isEqualTo(90.0);
        List<TranscriptionJob> pieces = slice.jobs().findPieces(id.value());
        assertThat(pieces).hasSize(3).allSatisfy(p -> {
            assertThatJob(p).isQueued();
            assertThat(p.lane()).isEqualTo(Lane.ASYNC);
            assertThat(p.parentId()).isEqualTo(id);
            assertThat(slice.outbox(Lane.ASYNC.topic(), p.id())).hasSize(1);
        });

        List<List<String>> removable = new ArrayList<>();
        for (TranscriptionJob piece : pieces) {
            Claim pieceClaim = claim(piece.id(), "worker-" + piece.pieceIndex());
            removable.add(lifecycle.pieceSucceeded(
                    pieceClaim, text("part" + piece.pieceIndex()), "account-" + piece.pieceIndex()));
        }

        assertThat(removable.subList(0, 2)).allSatisfy(keys -> assertThat(keys).isEmpty());
        assertThat(removable.get(2))
                .containsExactlyInAnyOrderElementsOf(
                        pieces.stream().map(p -> p.audio().objectKey()).toList());
        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasSucceeded();
        assertThat(job.transcriptJson()).contains("part0 part1 part2");
        assertThat(job.upstreamAccount()).isEqualTo("account-0,account-1,account-2");
        assertThat(job.piecesDone()).isEqualTo(3);
        assertThat(slice.sent(Topics.PROGRESS, id)).hasSize(3);
        assertThat(slice.sent(Topics.FINISHED, id))
                .as("an async job: nobody waits on the api for it")
                .isEmpty();
        assertThat(pieces).allSatisfy(p -> {
            assertThatJob(slice.job(p.id())).hasSucceeded();
            assertThat(slice.sent(Topics.FINISHED, p.id())).isEmpty();
        });
        assertThat(usageRows(id)).isEqualTo(1);
    }

    @Test
    void aPiecesTranscriptOutlivesItsRetentionWhileItsJobAwaitsItsOtherPieces() {
        JobId id = saved(job(Lane.ASYNC, "json"));
        cutInto(claim(id, "worker-a"), id, 2);
        List<TranscriptionJob> pieces = slice.jobs().findPieces(id.value());
        lifecycle.pieceSucceeded(claim(pieces.get(0).id(), "worker-b"), text("early"), "account-b");
        TranscriptRetention retention = slice.bean(TranscriptRetention.class);

        // a transcript retention shorter than the job's run (waves of a long diarized job, say): the first piece's
        // transcript is past it, the job is not
        retention.removeExpired(slice.clock().instant().plus(Duration.ofDays(31)));
        lifecycle.pieceSucceeded(claim(pieces.get(1).id(), "worker-c"), text("late"), "account-c");

        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasSucceeded();
        assertThat(job.transcriptJson()).contains("early late");

        // once the job has ended past the retention, its pieces' transcripts go with its own
        retention.removeExpired(slice.clock().instant().plus(Duration.ofDays(31)));
        assertThat(slice.job(id).transcriptJson()).isNull();
        assertThat(slice.jobs().findPieces(id.value()))
                .allSatisfy(piece -> assertThat(piece.transcriptJson()).isNull());
    }

    @Test
    void piecesThatFinishBeforeTheCuttingEndsAreMergedWhenItEnds() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");
        cut(claim, id, 2);
        for (TranscriptionJob piece : slice.jobs().findPieces(id.value())) {
            assertThat(lifecycle.pieceSucceeded(
                            claim(piece.id(), "worker-b"), text("early" + piece.pieceIndex()), "account-b"))
                    .isEmpty();
        }
        assertThatJob(slice.job(id)).isRunningUnder("worker-a", 1);

        List<String> removable = lifecycle.finishCutting(claim, 60.0, 2);

        assertThat(removable).hasSize(2);
        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasSucceeded();
        assertThat(job.transcriptJson()).contains("early0 early1");
        assertThat(slice.sent(Topics.FINISHED, id)).hasSize(1);

        // the merge's commit answer lost, the run sends the write again: the notice lost with it is sent again
        assertThat(lifecycle.finishCutting(claim, 60.0, 2)).hasSize(2);
        assertThat(slice.sent(Topics.FINISHED, id)).hasSize(2);
        assertThat(usageRows(id)).isEqualTo(1);
    }

    @Test
    void theCuttingsWritesSentAgainAfterTheirCommitWasLostRecordEachThingOnce() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");

        // each write committed, its answer lost, and sent again by the run (ResultWrites)
        lifecycle.startCutting(claim);
        assertThat(lifecycle.startCutting(claim)).isEmpty();
        lifecycle.addPiece(claim, piece(id, 0));
        lifecycle.addPiece(claim, piece(id, 0));
        lifecycle.addPiece(claim, piece(id, 1));
        lifecycle.addPiece(claim, piece(id, 1));
        assertThat(lifecycle.finishCutting(claim, 60.0, 2)).isEmpty();
        assertThat(lifecycle.finishCutting(claim, 60.0, 2))
                .as("the pieces its first send left waiting stay")
                .isEmpty();

        TranscriptionJob job = slice.job(id);
        assertThat(job.state()).isEqualTo(JobState.AWAITING_PIECES);
        assertThat(job.piecesTotal()).isEqualTo(2);
        List<TranscriptionJob> pieces = slice.jobs().findPieces(id.value());
        assertThat(pieces).extracting(TranscriptionJob::pieceIndex).containsExactlyInAnyOrder(0, 1);
        pieces.forEach(p -> assertThat(slice.outbox(Lane.INTERACTIVE.topic(), p.id()))
                .as("piece " + p.pieceIndex() + "'s message, lost with the first answer, sent again")
                .hasSize(2));
    }

    @Test
    void aPieceRecordedWithOtherAudioAtTheSameIndexIsNotTakenForThisOne() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");
        lifecycle.startCutting(claim);
        lifecycle.addPiece(claim, piece(id, 0));

        AudioSplitter.StoredPiece other =
                new AudioSplitter.StoredPiece(0, "pieces/" + id + "/0", 2000, new PieceSpan(0, 60, 0, 60));
        assertThatThrownBy(() -> lifecycle.addPiece(claim, other)).isInstanceOf(IllegalStateException.class);
        assertThat(slice.jobs().findPieces(id.value()))
                .singleElement()
                .satisfies(p -> assertThat(p.audio().sizeBytes()).isEqualTo(1000));
    }

    @Test
    void piecesSucceedingAtOnceAreEachCountedAndTheirJobIsMergedOnce() {
        int count = 8;
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");
        cutInto(claim, id, count);
        List<Callable<List<String>>> workers = new ArrayList<>();
        for (TranscriptionJob piece : slice.jobs().findPieces(id.value())) {
            Claim pieceClaim = claim(piece.id(), "worker-" + piece.pieceIndex());
            workers.add(() -> lifecycle.pieceSucceeded(pieceClaim, text("p" + piece.pieceIndex()), "account"));
        }

        List<Race.Outcome<List<String>>> outcomes = Race.run(workers);

        assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNull());
        assertThat(outcomes.stream().filter(o -> !o.value().isEmpty()))
                .singleElement()
                .satisfies(o -> assertThat(o.value()).hasSize(count));
        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasSucceeded();
        assertThat(job.piecesDone()).isEqualTo(count);
        assertThat(job.transcriptJson()).contains("p0 p1 p2 p3 p4 p5 p6 p7");
        assertThat(slice.sent(Topics.PROGRESS, id)).hasSize(count);
        assertThat(slice.sent(Topics.FINISHED, id)).hasSize(1);
    }

    @Test
    void aFailedPieceFailsItsJobAndItsOtherPiecesEndWithoutReopeningIt() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim claim = claim(id, "worker-a");
        cut(claim, id, 3);
        List<TranscriptionJob> pieces = slice.jobs().findPieces(id.value());
        Claim failing = claim(pieces.get(0).id(), "worker-b");
        Claim running = claim(pieces.get(2).id(), "worker-c");

        lifecycle.fail(failing, FailureCode.UPSTREAM_ERROR, "the upstream refused piece 1");

        TranscriptionJob job = slice.job(id);
        assertThatJob(job).hasFailed(FailureCode.UPSTREAM_ERROR);
        assertThat(job.failureMessage()).isEqualTo("the upstream refused piece 1");
        assertThatJob(slice.job(pieces.get(0).id())).hasFailed(FailureCode.UPSTREAM_ERROR);
        assertThat(slice.sent(Topics.FINISHED, id))
                .singleElement()
                .satisfies(m -> assertThat(m.payload()).contains("FAILED"));

        // a queued piece of the failed job is cancelled when a worker comes for it
        assertThat(lifecycle.claim(pieces.get(1).id(), "worker-d", LEASE)).isEmpty();
        assertThatJob(slice.job(pieces.get(1).id())).isCancelled();
        // a piece running meanwhile is recorded, but its job stays failed
        assertThat(lifecycle.pieceSucceeded(running, text("late"), "account-c")).isEmpty();
        assertThatJob(slice.job(pieces.get(2).id())).hasSucceeded();
        // the cutting ends after all: every piece's audio is to be removed
        assertThat(lifecycle.finishCutting(claim, 90.0, 3)).hasSize(3);
        assertThatJob(slice.job(id)).hasFailed(FailureCode.UPSTREAM_ERROR);
        assertThat(slice.sent(Topics.FINISHED, id)).hasSize(1);
    }

    @Test
    void cuttingThatStartsOverRemovesThePiecesOfTheAttemptBefore() {
        JobId id = saved(job(Lane.INTERACTIVE, "json"));
        Claim first = claim(id, "worker-a");
        cut(first, id, 2);
        List<TranscriptionJob> earlier = slice.jobs().findPieces(id.value());
        Claim earlierPiece = claim(earlier.get(0).id(), "worker-c");
        slice.clock().advance(LEASE.plusSeconds(1));
        Claim second = claim(id, "worker-b");

        List<String> removed = lifecycle.startCutting(second);

        assertThat(removed)
                .containsExactlyInAnyOrderElementsOf(
                        earlier.stream().map(p -> p.audio().objectKey()).toList());
        assertThat(slice.jobs().findPieces(id.value())).isEmpty();
        assertThat(lifecycle.pieceSucceeded(earlierPiece, text("from before"), "account-c"))
                .isEmpty();
        assertThat(lifecycle.claim(earlier.get(1).id(), "worker-d", LEASE)).isEmpty();
        lifecycle.addPiece(second, piece(id, 0));
        assertThat(lifecycle.finishCutting(second, 30.0, 1)).isEmpty();
        assertThatJob(slice.job(id)).isAwaitingPieces(1);
    }

    @Test
    void aDiarizedJobsLaterPiecesAreHeldUntilThePiecesBeforeTheirWaveSucceed() {
        JobId id = saved(job(Lane.INTERACTIVE, "diarized_json"));
        Claim claim = claim(id, "worker-a");
        cutInto(claim, id, 3);
        List<TranscriptionJob> pieces = slice.jobs().findPieces(id.value());
        assertThatJob(pieces.get(0)).isQueued();
        assertThatJob(pieces.get(1)).isHeld();
        assertThatJob(pieces.get(2)).isHeld();
        assertThat(slice.outbox(Lane.INTERACTIVE.topic(), pieces.get(0).id())).hasSize(1);
        assertThat(slice.outbox(Lane.INTERACTIVE.topic(), pieces.get(1).id())).isEmpty();
        assertThat(lifecycle.claim(pieces.get(1).id(), "worker-early", LEASE)).isEmpty();
        assertThatJob(slice.job(pieces.get(1).id())).isHeld();

        lifecycle.pieceSucceeded(claim(pieces.get(0).id(), "worker-b"), text("first wave"), "account-b");

        assertThatJob(slice.job(pieces.get(1).id())).isQueued();
        assertThat(slice.outbox(Lane.INTERACTIVE.topic(), pieces.get(1).id())).hasSize(1);
        assertThatJob(slice.job(pieces.get(2).id())).isHeld();

        lifecycle.fail(claim(pieces.get(1).id(), "worker-c"), FailureCode.UPSTREAM_ERROR, "second wave failed");

        assertThatJob(slice.job(id)).hasFailed(FailureCode.UPSTREAM_ERROR);
        assertThatJob(slice.job(pieces.get(2).id())).isCancelled();
        assertThat(slice.outbox(Lane.INTERACTIVE.topic(), pieces.get(2).id())).isEmpty();
    }

    @Test
    void aDiarizedPiecesWriteSentAgainAfterItsAnswerWasLostKeepsTheClipsItRecordedAndResendsTheWaveItReleased() {
        JobId id = saved(job(Lane.INTERACTIVE, "diarized_json"));
        Claim claim = claim(id, "worker-a");
        cutInto(claim, id, 3);
        TranscriptionJob first = slice.jobs().findPieces(id.value()).get(0);
        Claim pieceClaim = claim(first.id(), "worker-b");
        Transcript heard = new Transcript(
                "hello", "en", 30.0, null, List.of(new Transcript.Segment(0, 0.0, 5.0, "hello", "A")), null);
        String clip = "jobs/" + id + "/speakers/0-0.wav";
        Map<String, SpeakerLabels.Clip> clips = Map.of("A", new SpeakerLabels.Clip(clip, 5.0));

        assertThat(lifecycle.diarizedPieceSucceeded(pieceClaim, heard, "account-b", Map.of(), clips))
                .as("the new voice's clip is kept")
                .isEmpty();
        // its commit's answer lost, the same write is sent again under the same claim: it finds its own end
        assertThat(lifecycle.diarizedPieceSucceeded(pieceClaim, heard, "account-b", Map.of(), clips))
                .as("the clip the first write recorded is not given back for removal")
                .doesNotContain(clip);

        assertThat(slice.bean(JobSpeakers.class).of(id.value()))
                .extracting(Speaker::clipKey)
                .containsExactly(clip);
        assertThatJob(slice.job(first.id())).hasSucceeded();
        TranscriptionJob released = slice.jobs().findPieces(id.value()).get(1);
        assertThatJob(released).isQueued();
        assertThat(slice.outbox(Lane.INTERACTIVE.topic(), released.id()))
                .as("the message of the piece the first write released, lost with its answer, is sent again")
                .hasSize(2);
    }

    @Test
    void aDiarizedJobThatFailsWhileBeingCutTakesItsHeldPiecesWithIt() {
        JobId id = saved(job(Lane.INTERACTIVE, "diarized_json"));
        Claim claim = claim(id, "worker-a");
        cut(claim, id, 3);

        lifecycle.fail(claim, FailureCode.INTERNAL, "the decoder gave up");

        assertThatJob(slice.job(id)).hasFailed(FailureCode.INTERNAL);
        List<TranscriptionJob> pieces = slice.jobs().findPieces(id.value());
        assertThatJob(pieces.get(1)).isCancelled();
        assertThatJob(pieces.get(2)).isCancelled();
    }

    // --- helpers ---

    private Claim claim(JobId id, String worker) {
        return lifecycle.claim(id, worker, LEASE).orElseThrow().claim();
    }

    private static TranscriptionJob job(Lane lane, String responseFormat) {
        JobId id = JobId.random();
        return TranscriptionJob.queued(
                id, null, lane, spec(responseFormat), audio(id), slice.clock().instant());
    }

    private static JobSpec spec(String responseFormat) {
        return new JobSpec("gpt-4o-transcribe", responseFormat, null, null, null);
    }

    private static StoredAudio audio(JobId id) {
        return new StoredAudio("audio/" + id, "clip.wav", "audio/wav", 1000);
    }

    private static JobId saved(TranscriptionJob job) {
        return slice.jobs().save(job).id();
    }

    /** The cut of job {@code id} starts under {@code claim} and records its first {@code pieces} pieces. */
    private void cut(Claim claim, JobId id, int pieces) {
        lifecycle.startCutting(claim);
        for (int index = 0; index < pieces; index++) {
            lifecycle.addPiece(claim, piece(id, index));
        }
    }

    /** As {@link #cut}, and the cut ends: the job awaits its {@code pieces} pieces of 30 s. */
    private void cutInto(Claim claim, JobId id, int pieces) {
        cut(claim, id, pieces);
        lifecycle.finishCutting(claim, 30.0 * pieces, pieces);
    }

    private static AudioSplitter.StoredPiece piece(JobId job, int index) {
        return new AudioSplitter.StoredPiece(
                index,
                "pieces/" + job + "/" + index,
                1000,
                new PieceSpan(30.0 * index, 30, 30.0 * index, 30.0 * (index + 1)));
    }

    private static Transcript text(String text) {
        return new Transcript(text, "en", 30.0, null);
    }

    private static int usageRows(JobId id) {
        return slice.jdbc()
                .sql("select count(*) from usage_ledger where job_id = :id")
                .param("id", id.value())
                .query(Integer.class)
                .single();
    }

    private static List<String> webhookEvents(JobId id) {
        return slice.jdbc()
                .sql("select event_type from webhook_deliveries where job_id = :id order by created_at")
                .param("id", id.value())
                .query(String.class)
                .list();
    }

    /** The success of the run under {@code claim}, as that run writes it. */
    private void succeed(Claim claim, Transcript transcript, String account, double durationSeconds) {
        lifecycle.succeed(RunUnder.claim(claim, slice.job(claim.job())), transcript, account, durationSeconds);
    }
}
