package dev.transcriber.common.events;

import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.webhooks.JobWebhooks;

/**
 * Announces that a job ended, in the transaction that ended it, wherever it ended (a worker, or an owner's cancel):
 * {@link JobFinished} for the api instance holding its request, and a delivery for its webhook, if any.
 */
public class JobEnds {

    private final Outbox outbox;
    private final JobWebhooks webhooks;

    public JobEnds(Outbox outbox, JobWebhooks webhooks) {
        this.outbox = outbox;
        this.webhooks = webhooks;
    }

    public void announce(TranscriptionJob job) {
        webhooks.jobEnded(job);
        outbox.add(
                Topics.FINISHED,
                job.id().toString(),
                new JobFinished(job.id(), job.state().name()));
    }
}
