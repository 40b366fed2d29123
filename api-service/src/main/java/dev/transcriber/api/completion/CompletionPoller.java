package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import java.util.List;
import java.util.UUID;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The safety net under {@link JobFinishedListener}: held jobs that ended without their event reaching this
 * instance (a broker restart, a worker that died between commit and send) are released from the database, and
 * streams look at their pieces again.
 */
@Component
class CompletionPoller {

    private static final int BATCH = 1000;

    private final PendingCompletions pending;
    private final PendingProgress progress;
    private final JobRepository jobs;

    CompletionPoller(PendingCompletions pending, PendingProgress progress, JobRepository jobs) {
        this.pending = pending;
        this.progress = progress;
        this.jobs = jobs;
    }

    @Scheduled(fixedDelayString = "${transcriber.api.completion-poll-interval:2s}")
    void releaseEnded() {
        List<UUID> ids = pending.waitingJobs().stream().map(JobId::value).toList();
        for (int from = 0; from < ids.size(); from += BATCH) {
            List<UUID> batch = ids.subList(from, Math.min(ids.size(), from + BATCH));
            jobs.findEnded(batch).forEach(id -> pending.complete(new JobId(id)));
        }
        progress.followedJobs().forEach(progress::progressed); // streams re-read their pieces
    }
}
