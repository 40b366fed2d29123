package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.worker.WorkerIdentity;
import dev.transcriber.worker.WorkerProperties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.stereotype.Component;

/**
 * A worker that stops hands its leases back instead of leaving them to run out. Its stop runs after the Kafka listener
 * containers' (a lower phase stops later), so no new job is claimed; jobs in flight get
 * {@code transcriber.worker.shutdown-grace} to finish, and the rest go back to the queue at once with a
 * {@code JobSubmitted} through the outbox, so another worker takes them now rather than after the lease. Their runs
 * here are interrupted, and anything they would still write is dropped by the {@link ClaimFence}.
 */
@Component
class LeaseHandBack implements SmartLifecycle {

    /** Below the listener containers' phase: stopped after them. */
    static final int PHASE = AbstractMessageListenerContainer.DEFAULT_PHASE - 100;

    private static final Logger log = LoggerFactory.getLogger(LeaseHandBack.class);
    private static final long POLL_MILLIS = 50;

    private final JobDispatcher dispatcher;
    private final JobLifecycle lifecycle;
    private final JobExecution execution;
    private final WorkerIdentity identity;
    private final WorkerProperties properties;
    private volatile boolean running;

    LeaseHandBack(
            JobDispatcher dispatcher,
            JobLifecycle lifecycle,
            JobExecution execution,
            WorkerIdentity identity,
            WorkerProperties properties) {
        this.dispatcher = dispatcher;
        this.lifecycle = lifecycle;
        this.execution = execution;
        this.identity = identity;
        this.properties = properties;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        Set<UUID> left = awaitInFlight();
        int handedBack = 0;
        for (UUID id : left) {
            try {
                if (lifecycle.handBack(new JobId(id), identity.id())) {
                    handedBack++;
                    execution.stop(id);
                }
            } catch (RuntimeException e) {
                log.warn(
                        "job {} could not be handed back; it is recovered when its lease runs out: {}",
                        id,
                        e.toString());
            }
        }
        if (!left.isEmpty()) {
            log.info(
                    "worker {} stopping: {} of {} jobs still in flight after {} handed back to the queue",
                    identity.id(),
                    handedBack,
                    left.size(),
                    properties.shutdownGrace());
        }
    }

    /** The jobs still in flight once they all finished or the grace ran out. */
    private Set<UUID> awaitInFlight() {
        long deadline = System.nanoTime() + properties.shutdownGrace().toNanos();
        Set<UUID> inFlight = dispatcher.inFlight();
        // a direct run's claim under way as the stop began is waited for too: its job is in flight once claimed
        while ((!inFlight.isEmpty() || dispatcher.directClaimsUnderWay() > 0) && System.nanoTime() < deadline) {
            try {
                TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            inFlight = dispatcher.inFlight();
        }
        return inFlight;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
