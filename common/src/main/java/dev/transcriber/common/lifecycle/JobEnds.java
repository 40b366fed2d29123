package dev.transcriber.common.lifecycle;

import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.metrics.JobMetrics;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.webhooks.JobWebhooks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Announces that a job ended, in the transaction that ended it, wherever it ended (a worker, or an owner's cancel):
 * {@link JobFinished} for the api instance holding its request (sent once that transaction commits, without an outbox
 * row: the api also looks for ended jobs in the database, see {@link Outbox#sendAfterCommit}; a sync call's carries
 * its answer), a delivery for its webhook, if any, and the end of its batch when it was the last item. Both continue
 * the trace of the code that ended the job (a worker's run of it, an owner's cancel), or else the job's own. Counted
 * too ({@link JobMetrics}), once that transaction commits.
 *
 * <p>Only a job a request may be held for gets a notice ({@link #awaited}): a sync call's, of the interactive lane, and
 * any job made with an idempotency key (a sync call sent with the key of an async job of the same form waits for that
 * job). Any other async job, batch item or piece has nobody waiting on the api (their callers poll, or hear from a
 * webhook), so a notice would only cost a record that every api instance reads and passes over.
 *
 * <p>A job handed to a worker directly by the api instance holding its request ({@link #heardHere}) ends without a
 * notice when it ends on the thread that runs it and was made without an idempotency key: its end goes back on the
 * hand-off's answer instead, as nobody else can be waiting for it.
 *
 * <p>A job whose end writes nothing but its own row (no webhook, no batch) may also be announced after a statement that
 * ended it and committed on its own, outside any transaction: its notice is sent at once.
 */
public class JobEnds {

    private static final Logger log = LoggerFactory.getLogger(JobEnds.class);

    /** The job whose end the thread's caller hears directly, while {@link #heardHere} runs it. */
    private static final ThreadLocal<HeardHere> HEARD_HERE = new ThreadLocal<>();

    private final Outbox outbox;
    private final JobWebhooks webhooks;
    private final BatchEnds batches;
    private final JobMetrics metrics;
    private final Traces traces;

    public JobEnds(Outbox outbox, JobWebhooks webhooks, BatchEnds batches, JobMetrics metrics, Traces traces) {
        this.traces = traces;
        this.outbox = outbox;
        this.webhooks = webhooks;
        this.batches = batches;
        this.metrics = metrics;
    }

    /**
     * Runs {@code run} on this thread; when job {@code id} ends on this thread meanwhile, and only its direct caller
     * can be waiting for it (no idempotency key), its end notice is returned once the end has committed, instead of
     * being sent, with the trace it would have been sent in. Null when it did not end here so (its notice went, or
     * will go, as usual).
     */
    public static HeardEnd heardHere(JobId id, Runnable run) {
        HeardHere here = new HeardHere(id);
        HeardHere outer = HEARD_HERE.get();
        HEARD_HERE.set(here);
        try {
            run.run();
        } catch (RuntimeException e) {
            if (here.end == null) {
                throw e;
            }
            // the end has committed and its notice is here: what failed after it (a close) does not undo it
            log.warn("job {} ended, then its run failed: {}", id, e.toString());
        } finally {
            HEARD_HERE.set(outer);
        }
        return here.end;
    }

    /** A job's end notice, heard by the thread that ran it, and the trace it would have been sent in. */
    public record HeardEnd(JobFinished notice, String traceparent) {}

    private static final class HeardHere {
        private final JobId job;
        private volatile HeardEnd end;

        private HeardHere(JobId job) {
            this.job = job;
        }
    }

    /** The job ended; when it was a batch's last unfinished item, the batch ends too. */
    public void announce(TranscriptionJob job) {
        announce(EndedJob.of(job), job.transcriptJson());
    }

    /**
     * As {@link #announce(TranscriptionJob)}, from what the statement that ended the job returned, and the transcript
     * it wrote ({@code transcriptJson}, stored JSON; null for none).
     */
    public void announce(EndedJob job, String transcriptJson) {
        announceAlone(job, transcriptJson);
        if (job.batchId() != null && !job.piece()) {
            batches.itemEnded(job.batchId(), job.id().value());
        }
    }

    /** As {@link #announce}, leaving its batch to the caller (who ends many of a batch's items at once). */
    public void announceAlone(TranscriptionJob job) {
        announceAlone(EndedJob.of(job), job.transcriptJson());
    }

    /**
     * The notice of {@code job}'s end. A sync call's job that succeeded carries its answer, so the api instance holding
     * the call renders it without reading the row, unless the transcript is longer than a notice carries.
     */
    static JobFinished notice(EndedJob job, String transcriptJson) {
        boolean carried = job.lane() == Lane.INTERACTIVE
                && !job.piece()
                && job.state() == JobState.SUCCEEDED
                && transcriptJson != null
                && transcriptJson.length() <= JobFinished.CARRIED_TRANSCRIPT_CHARS;
        return new JobFinished(
                job.id(),
                job.state().name(),
                carried ? new JobFinished.Answer(transcriptJson, job.upstreamAccount()) : null);
    }

    /**
     * Whether a request may be held for {@code job}: a sync call's job, or one a sync call may have attached to by its
     * idempotency key; never a piece. Only then a notice.
     */
    static boolean awaited(EndedJob job) {
        return (job.lane() == Lane.INTERACTIVE || job.idempotent()) && !job.piece();
    }

    private void announceAlone(EndedJob job, String transcriptJson) {
        boolean inTransaction = TransactionSynchronizationManager.isSynchronizationActive();
        if (!inTransaction && (job.webhookUrl() != null || job.batchId() != null)) {
            throw new IllegalStateException(
                    "job " + job.id() + " has a webhook or a batch: its end is announced in its transaction");
        }
        String traceparent = traces.currentOr(job.traceparent());
        if (inTransaction) {
            webhooks.jobEnded(job, traceparent);
        }
        notice(job, transcriptJson, traceparent);
        metrics.ended(job);
    }

    /**
     * The end notice of {@code job}, again, and nothing else of its end: its writer sent the write that ended it
     * again, never having heard that it committed, and the notice sent after that commit was lost with its answer.
     */
    public void noticeAgain(TranscriptionJob job) {
        EndedJob ended = EndedJob.of(job);
        notice(ended, job.transcriptJson(), traces.currentOr(ended.traceparent()));
    }

    /** A held request's notice, after the commit under way, or now when its end has committed. */
    private void notice(EndedJob job, String transcriptJson, String traceparent) {
        if (!awaited(job)) {
            return;
        }
        JobFinished notice = notice(job, transcriptJson);
        HeardHere here = HEARD_HERE.get();
        if (here != null && here.job.equals(job.id()) && !job.idempotent()) {
            heardOnCommit(here, new HeardEnd(notice, traceparent));
            return;
        }
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            outbox.sendAfterCommit(Topics.FINISHED, job.id().toString(), notice, traceparent);
        } else {
            outbox.sendNow(Topics.FINISHED, job.id().toString(), notice, traceparent); // its end has committed
        }
    }

    /** The direct caller hears {@code end} once the end has committed (now, when it has). */
    private static void heardOnCommit(HeardHere here, HeardEnd end) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            here.end = end;
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                here.end = end;
            }
        });
    }
}
