package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.tracing.LogContext;
import dev.transcriber.common.tracing.Traces;
import io.micrometer.tracing.Span;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The jobs whose callers this instance is holding, and the futures that release them. Several requests may wait
 * for one job (a retry with the same {@code Idempotency-Key}): each gets a future of its own, and a request that
 * gives up forgets only its own. A future completes with the answer the job's end carried ({@link JobFinished#answer}),
 * or null when it carried none (its caller reads the row). When the instance shuts down, {@link #closeAll} releases
 * those still held with {@link ShuttingDown}.
 */
@Component
public class PendingCompletions {

    private final Traces traces;

    private final ConcurrentHashMap<JobId, Set<CompletableFuture<JobFinished.Answer>>> waiting =
            new ConcurrentHashMap<>();
    private volatile boolean closed;

    public PendingCompletions(Traces traces) {
        this.traces = traces;
    }

    /** Registers before the job is submitted, so its end cannot be missed. */
    public CompletableFuture<JobFinished.Answer> register(JobId jobId) {
        if (closed) {
            return CompletableFuture.failedFuture(new ShuttingDown());
        }
        CompletableFuture<JobFinished.Answer> future = new CompletableFuture<>();
        waiting.compute(jobId, (id, futures) -> {
            Set<CompletableFuture<JobFinished.Answer>> all = futures == null ? ConcurrentHashMap.newKeySet() : futures;
            all.add(future);
            return all;
        });
        return future;
    }

    /** Whether this instance holds a request for {@code jobId}. */
    public boolean holds(JobId jobId) {
        return waiting.containsKey(jobId);
    }

    /**
     * The job's end was announced in the trace {@code traceparent} (by its notice, or by the worker it was handed to),
     * with the answer it carried ({@code answer}, null: none): when this instance holds requests for it, they are released in a span of that trace ({@code job
     * completion}); a stream's events continue it, a sync answer is built in its request's own span.
     */
    public void complete(JobId jobId, JobFinished.Answer answer, String traceparent) {
        if (!waiting.containsKey(jobId)) {
            return; // every instance reads every end; only the one holding the request traces it
        }
        try (LogContext logged = LogContext.job(jobId);
                Traces.Traced span = traces.continueTrace("job completion", Span.Kind.CONSUMER, traceparent)
                        .tag("job.id", jobId.toString())) {
            release(jobId, answer);
        }
    }

    /** The job ended, as the database says (its callers read the row); a no-op when this instance does not hold it. */
    public void complete(JobId jobId) {
        release(jobId, null);
    }

    private void release(JobId jobId, JobFinished.Answer answer) {
        Set<CompletableFuture<JobFinished.Answer>> futures = waiting.remove(jobId);
        if (futures != null) {
            futures.forEach(future -> future.complete(answer));
        }
    }

    public void forget(JobId jobId, CompletableFuture<JobFinished.Answer> future) {
        waiting.computeIfPresent(jobId, (id, futures) -> {
            futures.remove(future);
            return futures.isEmpty() ? null : futures;
        });
    }

    public Set<JobId> waitingJobs() {
        return Set.copyOf(waiting.keySet());
    }

    /** The requests held, not the jobs: two requests waiting for one job count twice. */
    public int size() {
        return waiting.values().stream().mapToInt(Set::size).sum();
    }

    /** The drain is over: every request still held is released with {@link ShuttingDown}; how many there were. */
    int closeAll() {
        closed = true;
        int released = 0;
        for (JobId jobId : waiting.keySet()) {
            Set<CompletableFuture<JobFinished.Answer>> futures = waiting.remove(jobId);
            for (CompletableFuture<JobFinished.Answer> future :
                    futures == null ? Set.<CompletableFuture<JobFinished.Answer>>of() : futures) {
                if (future.completeExceptionally(new ShuttingDown())) {
                    released++;
                }
            }
        }
        return released;
    }

    /** This instance stopped holding requests before their job ended (it is shutting down). */
    public static final class ShuttingDown extends RuntimeException {
        ShuttingDown() {
            super("the instance is shutting down", null, false, false);
        }
    }
}
