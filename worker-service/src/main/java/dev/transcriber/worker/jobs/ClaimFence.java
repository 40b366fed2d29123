package dev.transcriber.worker.jobs;

import dev.transcriber.common.store.TranscriptionJob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The fence in front of every write of a claimed job. A job row loaded in the writing transaction is checked against
 * the writer's {@link Claim}; the write commits with the row's {@code version}, so a claim taken in between fails it
 * too. Stale writes are logged and counted ({@code transcriber.jobs.stale.writes}, tagged by write).
 */
@Component
class ClaimFence {

    static final String STALE_WRITES = "transcriber.jobs.stale.writes";

    private static final Logger log = LoggerFactory.getLogger(ClaimFence.class);

    private final MeterRegistry registry;

    ClaimFence(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * True when {@code job} is held under {@code claim}; false when it ended under this very claim (cancelled by its
     * owner, or a sibling piece failed), which callers handle as before. Throws {@link StaleClaimException} when
     * another claim took the job since, or it was handed back or recovered: the write is dropped.
     */
    boolean holds(TranscriptionJob job, Claim claim, String write) {
        return holds(new JobTransitions.Hold(job.state(), job.claims(), job.leaseOwner()), claim, write);
    }

    /** As {@link #holds(TranscriptionJob, Claim, String)}, for a row read without loading the job. */
    boolean holds(JobTransitions.Hold job, Claim claim, String write) {
        if (job.isHeldBy(claim.owner(), claim.number())) {
            return true;
        }
        if (job.state().isTerminal() && job.claims() == claim.number()) {
            return false;
        }
        Counter.builder(STALE_WRITES)
                .description("Writes of a job by a worker that no longer held it, dropped")
                .tag("write", write)
                .register(registry)
                .increment();
        log.warn(
                "dropped {} of job {} by {} under claim {}: the job is {}, claim {} by {}",
                write,
                claim.job(),
                claim.owner(),
                claim.number(),
                job.state(),
                job.claims(),
                job.leaseOwner());
        throw new StaleClaimException(claim, write);
    }
}
