package dev.transcriber.standalone.support;

import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on a job row by the state a reader of the job system thinks in: queued, held for admission, running
 * under a claim, awaiting its pieces, ended ({@link JobState}), with what goes with each (a lease, a finish time).
 */
public final class JobAssert extends AbstractAssert<JobAssert, TranscriptionJob> {

    private JobAssert(TranscriptionJob job) {
        super(job, JobAssert.class);
    }

    public static JobAssert assertThatJob(TranscriptionJob job) {
        return new JobAssert(job);
    }

    /**
     * Out of the admission scheduler's hands and not ended: queued on its lane or running. What a key's cap and the
     * bulk window count.
     */
    public static boolean isOut(TranscriptionJob job) {
        return job.state() == JobState.QUEUED || job.state().isUnderway();
    }

    /** Waiting on its lane's queue for a worker: queued, not held, nobody's lease. */
    public JobAssert isQueued() {
        isNotNull();
        if (actual.state() != JobState.QUEUED || actual.leaseOwner() != null) {
            failWithMessage("expected job %s queued (not held, no lease) but it is %s", actual.id(), describe());
        }
        return this;
    }

    /** Recorded but not on the queue: waiting for the admission scheduler (or its wave, for a piece). */
    public JobAssert isHeld() {
        isNotNull();
        if (actual.state() != JobState.HELD) {
            failWithMessage("expected job %s held but it is %s", actual.id(), describe());
        }
        return this;
    }

    /** Running under {@code worker}'s claim numbered {@code claim}. */
    public JobAssert isRunningUnder(String worker, int claim) {
        isNotNull();
        if (!actual.isHeldBy(worker, claim) || actual.leaseUntil() == null) {
            failWithMessage(
                    "expected job %s running under claim %s of %s but it is %s",
                    actual.id(), claim, worker, describe());
        }
        return this;
    }

    /** Cut into {@code pieces}, waiting for them with nobody's lease (the reaper leaves it alone). */
    public JobAssert isAwaitingPieces(int pieces) {
        isNotNull();
        if (actual.state() != JobState.AWAITING_PIECES
                || actual.leaseOwner() != null
                || actual.leaseUntil() != null
                || actual.piecesTotal() == null
                || actual.piecesTotal() != pieces) {
            failWithMessage("expected job %s awaiting %s pieces but it is %s", actual.id(), pieces, describe());
        }
        return this;
    }

    public JobAssert hasSucceeded() {
        return hasEnded(JobState.SUCCEEDED);
    }

    /** Failed with {@code code}. */
    public JobAssert hasFailed(FailureCode code) {
        hasEnded(JobState.FAILED);
        if (actual.failureCode() != code) {
            failWithMessage("expected job %s failed with %s but it failed with %s", actual.id(), code, describe());
        }
        return this;
    }

    public JobAssert isCancelled() {
        return hasEnded(JobState.CANCELLED);
    }

    /** Starts counted against max-attempts. */
    public JobAssert hasAttempts(int attempts) {
        isNotNull();
        if (actual.attempts() != attempts) {
            failWithMessage("expected job %s with %s attempts but it is %s", actual.id(), attempts, describe());
        }
        return this;
    }

    private JobAssert hasEnded(JobState state) {
        isNotNull();
        if (actual.state() != state || actual.leaseOwner() != null || actual.finishedAt() == null) {
            failWithMessage(
                    "expected job %s ended %s (no lease, finished) but it is %s", actual.id(), state, describe());
        }
        return this;
    }

    private String describe() {
        return actual.state() + ", lease " + actual.leaseOwner() + " until "
                + actual.leaseUntil() + ", claims " + actual.claims() + ", attempts " + actual.attempts()
                + ", pieces " + actual.piecesDone() + "/" + actual.piecesTotal() + ", failure " + actual.failureCode();
    }
}
