package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.KeyRevoked;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * A revoked key's jobs that wait (held behind its cap, or queued) are cancelled, as its owner's cancel would: running
 * ones finish. Batch items go with their batch.
 */
@Component
class RevokedKeyJobs {

    private static final Logger log = LoggerFactory.getLogger(RevokedKeyJobs.class);

    private final JobRepository jobs;
    private final JobCommands commands;

    RevokedKeyJobs(JobRepository jobs, JobCommands commands) {
        this.jobs = jobs;
        this.commands = commands;
    }

    @EventListener
    void on(KeyRevoked revoked) {
        for (UUID id : jobs.findWaitingOfKey(revoked.keyId())) {
            try {
                commands.cancel(new JobId(id), Scope.EVERY_KEY);
            } catch (ApiException e) { // it ended meanwhile
            } catch (RuntimeException e) { // the others are still cancelled; revoking again retries this one
                log.warn("revoked key {}: {} not cancelled ({})", revoked.keyId(), id, e.toString());
            }
        }
    }
}
