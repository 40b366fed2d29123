package dev.transcriber.common.store;

import static dev.transcriber.common.store.JobState.AWAITING_PIECES;
import static dev.transcriber.common.store.JobState.CANCELLED;
import static dev.transcriber.common.store.JobState.FAILED;
import static dev.transcriber.common.store.JobState.HELD;
import static dev.transcriber.common.store.JobState.QUEUED;
import static dev.transcriber.common.store.JobState.RUNNING;
import static dev.transcriber.common.store.JobState.SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every change of a job's state, one at a time, made through the job's own methods: each allowed change of the
 * machine's table is made by a method and lands in the state the table names (with what the row stores for it), and
 * every method refuses every state it may not start from. The table and the methods are checked against each other,
 * so a state or change added to one and not the other fails here.
 */
class JobTransitionsTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Instant LEASE = NOW.plusSeconds(120);

    /** A method of the job that changes its state, by name. */
    private record Change(String name, Consumer<TranscriptionJob> apply) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Change RELEASE = new Change("release", TranscriptionJob::release);
    private static final Change CLAIM = new Change("claim", job -> job.claim("worker-b", LEASE.plusSeconds(600), NOW));
    private static final Change CANCEL = new Change("cancel", job -> job.cancel(NOW));
    private static final Change DELETE = new Change("delete", job -> job.delete(NOW));
    private static final Change FAIL = new Change("fail", job -> job.fail(FailureCode.INTERNAL, "boom", NOW));
    private static final Change REQUEUE = new Change("requeue", TranscriptionJob::requeue);
    private static final Change HAND_BACK = new Change("handBack", TranscriptionJob::handBack);
    private static final Change CUT = new Change("cutInto", job -> job.cutInto(2));
    private static final Change SUCCEED = new Change("succeed", job -> job.succeed("{}", "openai-1", NOW));
    private static final Change RETRY = new Change("retry", TranscriptionJob::retry);
    private static final Change RETRY_HELD = new Change("retryHeld", TranscriptionJob::retryHeld);

    private static final List<Change> CHANGES =
            List.of(RELEASE, CLAIM, CANCEL, DELETE, FAIL, REQUEUE, HAND_BACK, CUT, SUCCEED, RETRY, RETRY_HELD);

    /** Each allowed change, with a method that makes it. */
    private static final List<Arguments> ALLOWED = List.of(
            Arguments.of(HELD, RELEASE, QUEUED),
            Arguments.of(HELD, CANCEL, CANCELLED),
            Arguments.of(HELD, DELETE, CANCELLED),
            Arguments.of(HELD, FAIL, FAILED),
            Arguments.of(QUEUED, CLAIM, RUNNING),
            Arguments.of(QUEUED, CANCEL, CANCELLED),
            Arguments.of(QUEUED, DELETE, CANCELLED),
            Arguments.of(QUEUED, FAIL, FAILED),
            Arguments.of(RUNNING, REQUEUE, QUEUED),
            Arguments.of(RUNNING, HAND_BACK, QUEUED),
            Arguments.of(RUNNING, CUT, AWAITING_PIECES),
            Arguments.of(RUNNING, SUCCEED, SUCCEEDED),
            Arguments.of(RUNNING, FAIL, FAILED),
            Arguments.of(RUNNING, CANCEL, CANCELLED),
            Arguments.of(RUNNING, DELETE, CANCELLED),
            Arguments.of(AWAITING_PIECES, SUCCEED, SUCCEEDED),
            Arguments.of(AWAITING_PIECES, FAIL, FAILED),
            Arguments.of(AWAITING_PIECES, CANCEL, CANCELLED),
            Arguments.of(AWAITING_PIECES, DELETE, CANCELLED),
            Arguments.of(FAILED, RETRY, QUEUED),
            Arguments.of(FAILED, RETRY_HELD, HELD));

    static Stream<Arguments> allowed() {
        return ALLOWED.stream();
    }

    @ParameterizedTest(name = "{0} --{1}--> {2}")
    @MethodSource("allowed")
    void anAllowedChangeLandsInTheStateTheTableNames(JobState from, Change change, JobState to) {
        TranscriptionJob job = in(from);

        change.apply().accept(job);

        assertThat(job.state()).isEqualTo(to);
        assertThat(from.canMoveTo(to)).isTrue();
    }

    /** Every change the table allows is made by some method above: none is allowed that nothing does. */
    @Test
    void theTableAllowsNoChangeThatNoMethodMakes() {
        Map<JobState, Set<JobState>> made = new EnumMap<>(JobState.class);
        for (Arguments arguments : ALLOWED) {
            Object[] a = arguments.get();
            made.computeIfAbsent((JobState) a[0], s -> EnumSet.noneOf(JobState.class))
                    .add((JobState) a[2]);
        }
        for (JobState from : JobState.values()) {
            assertThat(made.getOrDefault(from, EnumSet.noneOf(JobState.class)))
                    .as("changes from %s", from)
                    .isEqualTo(from.next());
        }
    }

    static Stream<Arguments> refused() {
        List<Arguments> refused = new ArrayList<>();
        for (JobState from : JobState.values()) {
            for (Change change : CHANGES) {
                boolean allowed = ALLOWED.stream().anyMatch(a -> a.get()[0] == from && a.get()[1] == change);
                boolean deleteOfEnded = change == DELETE && from.isTerminal(); // ends nothing: the row is a tombstone
                if (!allowed && !deleteOfEnded) {
                    refused.add(Arguments.of(from, change));
                }
            }
        }
        return refused.stream();
    }

    @ParameterizedTest(name = "{0} refuses {1}")
    @MethodSource("refused")
    void everyOtherChangeIsRefusedAndLeavesTheJobAsItWas(JobState from, Change change) {
        TranscriptionJob job = in(from);

        assertThatThrownBy(() -> change.apply().accept(job)).isInstanceOf(IllegalStateException.class);

        assertThat(job.state()).isEqualTo(from);
    }

    @Test
    void deletingAnEndedJobKeepsItsOutcomeAndMarksTheTombstone() {
        for (JobState ended : List.of(SUCCEEDED, FAILED, CANCELLED)) {
            TranscriptionJob job = in(ended);

            job.delete(NOW);

            assertThat(job.state()).isEqualTo(ended);
            assertThat(job.isDeleted()).isTrue();
            assertThat(job.transcriptJson()).isNull();
        }
    }

    @Test
    void eachStateIsStoredAsTheStateColumnTheRunningFleetReads() {
        assertThat(HELD.stored()).isEqualTo(QUEUED);
        assertThat(AWAITING_PIECES.stored()).isEqualTo(RUNNING);
        for (JobState state : EnumSet.complementOf(EnumSet.of(HELD, AWAITING_PIECES))) {
            assertThat(state.stored()).isEqualTo(state);
        }
        assertThat(HELD.wireName()).isEqualTo("queued");
        assertThat(AWAITING_PIECES.wireName()).isEqualTo("running");
        assertThat(JobState.sql(HELD, QUEUED, RUNNING)).isEqualTo("'QUEUED', 'RUNNING'");
    }

    @Test
    void aHeldJobIsNotClaimableWhateverEventNamesIt() {
        TranscriptionJob job = in(HELD);

        assertThat(job.isClaimable(NOW)).isFalse();
        job.release();
        assertThat(job.isClaimable(NOW)).isTrue();
    }

    @Test
    void aJobAwaitingItsPiecesHasNoLeaseAndEndsWithItsLastPiece() {
        TranscriptionJob job = in(RUNNING);
        assertThat(job.pieceDone()).isFalse(); // a piece may finish while the job is still being cut

        assertThat(job.cutInto(3)).isFalse();

        assertThat(job.state()).isEqualTo(AWAITING_PIECES);
        assertThat(job.leaseOwner()).isNull();
        assertThat(job.isClaimable(NOW.plusSeconds(3600))).isFalse();
        assertThat(job.pieceDone()).isFalse();
        assertThat(job.pieceDone()).isTrue();
        assertThatThrownBy(job::pieceDone).isInstanceOf(IllegalJobStateChange.class);
        job.succeed("{}", "openai-1", NOW);
        assertThat(job.state()).isEqualTo(SUCCEEDED);
    }

    @Test
    void cuttingWhenEveryPieceHasAlreadyFinishedSaysSo() {
        TranscriptionJob job = in(RUNNING);
        job.pieceDone();
        job.pieceDone();

        assertThat(job.cutInto(2)).isTrue();
    }

    @Test
    void aRetryStartsAfreshWithoutTheFailureOrThePieces() {
        TranscriptionJob job = in(RUNNING);
        job.cutInto(2);
        job.failRateLimited(NOW.plusSeconds(30), NOW);

        job.retry();

        assertThat(job.state()).isEqualTo(QUEUED);
        assertThat(job.failureCode()).isNull();
        assertThat(job.failureResetsAt()).isNull();
        assertThat(job.piecesTotal()).isNull();
        assertThat(job.piecesDone()).isZero();
        assertThat(job.attempts()).isZero();
    }

    @Test
    void aRateLimitedFailureKeepsWhenTheQuotaResets() {
        TranscriptionJob job = in(RUNNING);

        job.failRateLimited(NOW.plusMillis(30_500), NOW);

        assertThat(job.failureCode()).isEqualTo(FailureCode.RATE_LIMITED);
        assertThat(job.failureResetsAt()).isEqualTo(NOW.plusSeconds(30));
        assertThat(job.failureMessage()).contains(NOW.plusSeconds(30).toString());
    }

    /** A new job brought into {@code state} by the job's own methods. */
    private static TranscriptionJob in(JobState state) {
        TranscriptionJob job = TranscriptionJob.queued(
                JobId.random(),
                null,
                Lane.INTERACTIVE,
                new JobSpec("gpt-4o-transcribe", "json", null, null, null),
                new StoredAudio("jobs/x/source", "a.wav", "audio/wav", 10),
                NOW);
        switch (state) {
            case HELD -> job.hold();
            case QUEUED -> {}
            case RUNNING -> job.claim("worker-a", LEASE, NOW);
            case AWAITING_PIECES -> {
                job.claim("worker-a", LEASE, NOW);
                job.startCutting();
                job.cutInto(2);
            }
            case SUCCEEDED -> {
                job.claim("worker-a", LEASE, NOW);
                job.succeed("{}", "openai-1", NOW);
            }
            case FAILED -> {
                job.claim("worker-a", LEASE, NOW);
                job.fail(FailureCode.INTERNAL, "boom", NOW);
            }
            case CANCELLED -> job.cancel(NOW);
        }
        assertThat(job.state()).isEqualTo(state);
        return job;
    }
}
