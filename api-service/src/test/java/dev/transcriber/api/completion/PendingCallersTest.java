package dev.transcriber.api.completion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Two requests held for one job (a retry with the same Idempotency-Key): neither can drop the other. */
class PendingCallersTest {

    private final JobId job = JobId.random();

    @Test
    void eachStreamFollowingAJobIsCalledAndForgetsOnlyItself() {
        PendingProgress progress = new PendingProgress();
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        Runnable firstCallback = first::incrementAndGet;
        Runnable secondCallback = second::incrementAndGet;
        progress.follow(job, firstCallback);
        progress.follow(job, secondCallback);

        progress.progressed(job);
        progress.forget(job, firstCallback);
        progress.progressed(job);

        assertThat(first).hasValue(1);
        assertThat(second).hasValue(2);
        progress.forget(job, secondCallback);
        assertThat(progress.followedJobs()).isEmpty();
    }

    @Test
    void aStreamThatFailsToMoveOnHoldsUpNoOtherStreamOfTheJob() {
        PendingProgress progress = new PendingProgress();
        AtomicInteger called = new AtomicInteger();
        Runnable failing = () -> {
            called.incrementAndGet();
            throw new IllegalStateException("the database is down");
        };
        Runnable alsoFailing = () -> {
            called.incrementAndGet();
            throw new IllegalStateException("the database is down");
        };
        progress.follow(job, failing);
        progress.follow(job, alsoFailing);

        progress.progressed(job);

        assertThat(called).as("each stream was asked, whichever failed first").hasValue(2);
    }

    @Test
    void aRequestThatGivesUpDoesNotReleaseTheOtherOnesWait() {
        PendingCompletions pending = new PendingCompletions(dev.transcriber.common.tracing.Traces.none());
        CompletableFuture<JobFinished.Answer> first = pending.register(job);
        CompletableFuture<JobFinished.Answer> second = pending.register(job);
        assertThat(pending.size()).isEqualTo(2);

        pending.forget(job, first); // its caller timed out, or its connection dropped
        pending.complete(job);

        assertThat(second).isCompleted();
        assertThat(first).isNotDone();
        assertThat(pending.waitingJobs()).isEmpty();
    }
}
