package dev.transcriber.worker.jobs;

import dev.transcriber.worker.WorkerIdentity;
import dev.transcriber.worker.WorkerProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
    private final Counter recoveryFailures;
    private final RecoveryCounters recoveries;

    Leases(
            JobLifecycle lifecycle,
            JobDispatcher dispatcher,
            WorkerIdentity identity,
            WorkerProperties properties,
            Clock clock,
            MeterRegistry registry,
            RecoveryCounters recoveries) {
        this.recoveryFailures = Counter.builder("transcriber.jobs.recovery.failures")
                .description("Abandoned jobs the reaper could not recover (retried on its next round)")
                .register(registry);
        this.lifecycle = lifecycle;
        this.dispatcher = dispatcher;
        this.identity = identity;
        this.properties = properties;
        this.clock = clock;
        this.recoveries = recoveries;
    }

    @Scheduled(fixedDelayString = "${transcriber.worker.lease-renewal:20s}")
    void renew() {
        lifecycle.renew(dispatcher.inFlight(), identity.id(), clock.instant().plus(properties.lease()));
    }

    /**
     * Each abandoned job is recovered in a transaction of its own: one that fails (a row that cannot be read, a
     * failing announcement) is logged and counted ({@code transcriber.jobs.recovery.failures}), and the others still
     * go back to the queue; it is tried again on the next round. Recoveries are counted
     * ({@code transcriber.jobs.recovered}).
     */
    @Scheduled(fixedDelayString = "${transcriber.worker.reaper-interval:15s}")
    void recoverAbandoned() {
        for (var id : lifecycle.expired(100)) {
            try {
                JobLifecycle.Recovery recovery = lifecycle.recover(id, properties.maxAttempts());
                recoveries.recovered(recovery);
                if (recovery != JobLifecycle.Recovery.NONE) {
                    log.info(
                            "job {} was abandoned by its worker; {}",
                            id,
                            recovery.name().toLowerCase());
                }
            } catch (ObjectOptimisticLockingFailureException e) {
                // another worker recovered it first
            } catch (RuntimeException e) {
                recoveryFailures.increment();
                log.warn("job {} was abandoned by its worker but could not be recovered: {}", id, e.toString());
            }
        }
    }
}
