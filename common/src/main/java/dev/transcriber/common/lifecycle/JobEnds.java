package dev.transcriber.common.lifecycle;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.metrics.JobMetrics;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.common.webhooks.JobWebhooks;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Announces that a job ended, in the transaction that ended it, wherever it ended (a worker, or an owner's cancel):
 * an {@link EndNotice} for the api instance holding its request (a PostgreSQL notification on {@link Channel#ENDS},
 * delivered when that transaction commits; the api also looks for ended jobs in the database, so a notice lost with
 * a listener's connection costs its poll's interval, not the answer; a sync call's carries its answer), a delivery
 * for its webhook, if any, and the end of its batch when it was the last item. Both continue the trace of the code
 * that ended the job (a worker's run of it, an owner's cancel), or else the job's own. Counted too
 * ({@link JobMetrics}), once that transaction commits.
 *
 * <p>Only a job a request may be held for gets a notice ({@link #awaited}): a sync call's, of the interactive lane, and
 * any job made with an idempotency key (a sync call sent with the key of an async job of the same form waits for that
 * job). Any other async job, batch item or piece has nobody waiting on the api (their callers poll, or hear from a
 * webhook), so a notice would only cost a notification that every api instance reads and passes over, and a notifying
 * commit (PostgreSQL serialises those).
 *
 * <p>A job whose end writes nothing but its own row (no webhook, no batch) may also be announced after a statement that
 * ended it and committed on its own, outside any transaction: its notice is then sent at once by a statement of its
 * own ({@link Wakeups#notifyNow}: its commit holds PostgreSQL's notification lock for no data's flush, and a failure
 * fails nobody, as the api finds the end in the database).
 */
public class JobEnds {

    private final Wakeups wakeups;
    private final EventCodec codec;
    private final JobWebhooks webhooks;
    private final BatchEnds batches;
    private final JobMetrics metrics;
    private final Traces traces;

    public JobEnds(
            Wakeups wakeups,
            EventCodec codec,
            JobWebhooks webhooks,
            BatchEnds batches,
            JobMetrics metrics,
            Traces traces) {
        this.wakeups = wakeups;
        this.codec = codec;
        this.traces = traces;
        this.webhooks = webhooks;
        this.batches = batches;
        this.metrics = metrics;
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
     * The notice of {@code job}'s end, as its notification's payload, in the trace {@code traceparent}. A sync call's
     * job that succeeded carries its answer, so the api instance holding the call renders it without reading the row,
     * unless the notice would be too long for a notification with it ({@link EndNotice#fits}: about 7,900 bytes).
     */
    static String payload(EndedJob job, String transcriptJson, String traceparent, EventCodec codec) {
        JobId id = job.id();
        JobState state = job.state();
        boolean carried = job.lane() == Lane.INTERACTIVE
                && !job.piece()
                && state == JobState.SUCCEEDED
                && transcriptJson != null
                && transcriptJson.length() <= Wakeups.MAX_PAYLOAD_BYTES;
        if (carried) {
            String payload = new EndNotice(
                            new JobFinished(
                                    id, state.name(), new JobFinished.Answer(transcriptJson, job.upstreamAccount())),
                            traceparent)
                    .encode(codec);
            if (EndNotice.fits(payload)) {
                return payload;
            }
        }
        return new EndNotice(new JobFinished(id, state.name(), null), traceparent).encode(codec);
    }

    /**
     * Whether a request may be held for {@code job}: a sync call's job, or one a sync call may have attached to by its
     * idempotency key; never a piece. Only then a notice.
     */
    static boolean awaited(EndedJob job) {
        return awaited(job.lane(), job.idempotent(), job.piece());
    }

    /** As {@link #awaited(EndedJob)}, for a job of {@code lane}, made with an idempotency key or not, a piece or not. */
    static boolean awaited(Lane lane, boolean idempotent, boolean piece) {
        return (lane == Lane.INTERACTIVE || idempotent) && !piece;
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
        metrics.ended(job);
        if (!awaited(job)) {
            return;
        }
        String notice = payload(job, transcriptJson, traceparent, codec);
        if (inTransaction) {
            wakeups.notify(Channel.ENDS, notice); // delivered when the transaction commits
        } else {
            wakeups.notifyNow(Channel.ENDS, notice); // its end has committed: at once, by a statement of its own
        }
    }
}
