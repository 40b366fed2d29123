package dev.transcriber.api.jobs;

import dev.transcriber.api.keys.KeyRevoked;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * A revoked key's jobs that wait (held behind its cap, or queued) are cancelled, as its owner's cancel would: running
 * ones finish. Batch items go with their batch.
 */
@Component
class RevokedKeyJobs {

    private final JobRepository jobs;
    private final JobCommands commands;

    RevokedKeyJobs(JobRepository jobs, JobCommands commands) {
        this.jobs = jobs;
        this.commands = commands;
    }

    @EventListener
    void on(KeyRevoked revoked) {
        revoked.cancelEach(
                jobs.findWaitingOfKey(revoked.keyId()), id -> commands.cancel(new JobId(id), Scope.EVERY_KEY));
    }
}
