package dev.transcriber.common.events;

import dev.transcriber.common.batches.BatchEnds;
import dev.transcriber.common.metrics.JobMetrics;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.webhooks.JobWebhooks;

/**
 * Announces that a job ended, in the transaction that ended it, wherever it ended (a worker, or an owner's cancel):
 * {@link JobFinished} for the api instance holding its request, a delivery for its webhook, if any, and the end of its
 * batch when it was the last item. Counted too ({@link JobMetrics}), once that transaction commits.
 */
public class JobEnds {

    private final Outbox outbox;
    private final JobWebhooks webhooks;
    private final BatchEnds batches;
    private final JobMetrics metrics;

    public JobEnds(Outbox outbox, JobWebhooks webhooks, BatchEnds batches, JobMetrics metrics) {
        this.outbox = outbox;
        this.webhooks = webhooks;
        this.batches = batches;
        this.metrics = metrics;
    }

    /** The job ended; when it was a batch's last unfinished item, the batch ends too. */
    public void announce(TranscriptionJob job) {
        announceAlone(job);
        if (job.batchId() != null && !job.isPiece()) {
            batches.itemEnded(job.batchId(), job.id().value());
        }
    }

    /** As {@link #announce}, leaving its batch to the caller (who ends many of a batch's items at once). */
    public void announceAlone(TranscriptionJob job) {
        webhooks.jobEnded(job);
        outbox.add(
                Topics.FINISHED,
                job.id().toString(),
                new JobFinished(job.id(), job.state().name()));
        metrics.ended(job);
    }
}
