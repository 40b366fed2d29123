package dev.transcriber.worker.jobs;

import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Keeps this worker's claims alive while it works, and recovers jobs whose worker died: their lease runs out, and
 * they go back to the queue. This is why a crash of a worker never drops a job.
 */
@Component
class Leases {

    private static final Logger log = LoggerFactory.getLogger(Leases.class);

    private final JobLifecycle lifecycle;
    private final JobDispatcher dispatcher;
    private final WorkerIdentity identity;
    private final WorkerProperties properties;
    private final Clock clock;

    Leases(
            JobLifecycle lifecycle,
            JobDispatcher dispatcher,
            WorkerIdentity identity,
            WorkerProperties properties,
            Clock clock) {
        this.lifecycle = lifecycle;
        this.dispatcher = dispatcher;
        this.identity = identity;
        this.properties = properties;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${transcriber.worker.lease-renewal:20s}")
    void renew() {
        lifecycle.renew(dispatcher.inFlight(), identity.id(), clock.instant().plus(properties.lease()));
    }

    @Scheduled(fixedDelayString = "${transcriber.worker.reaper-interval:15s}")
    void recoverAbandoned() {
        for (var id : lifecycle.expired(100)) {
            try {
                lifecycle.recover(id, properties.maxAttempts());
                log.info("job {} was abandoned by its worker; recovered", id);
            } catch (ObjectOptimisticLockingFailureException e) {
                // another worker recovered it first
            }
        }
    }
}
