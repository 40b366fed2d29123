package dev.transcriber.worker.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * {@code transcriber.jobs.recovered}: jobs the fleet got going again without anyone asking, tagged {@code action}:
 * {@code requeued} (the reaper put back a job whose worker stopped renewing its lease), {@code failed} (the reaper
 * failed it: started {@code max-attempts} times), {@code resent} (the queue sweeper sent again a queued job whose
 * message was gone). A steady rate means workers die or stall, or messages are lost.
 */
@Component
class RecoveryCounters {

    static final String METER = "transcriber.jobs.recovered";

    private final Counter requeued;
    private final Counter failed;
    private final Counter resent;

    RecoveryCounters(MeterRegistry registry) {
        this.requeued = counter(registry, "requeued");
        this.failed = counter(registry, "failed");
        this.resent = counter(registry, "resent");
    }

    void recovered(JobLifecycle.Recovery recovery) {
        switch (recovery) {
            case REQUEUED -> requeued.increment();
            case FAILED -> failed.increment();
            case NONE -> {}
        }
    }

    void resent() {
        resent.increment();
    }

    private static Counter counter(MeterRegistry registry, String action) {
        return Counter.builder(METER)
                .description("Jobs recovered by the reaper (lease ran out) or the queue sweeper (message gone)")
                .tag("action", action)
                .register(registry);
    }
}
