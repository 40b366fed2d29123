package dev.transcriber.api.completion;

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
 * gives up forgets only its own. When the instance shuts down, {@link #closeAll} releases those still held with
 * {@link ShuttingDown}.
 */
@Component
public class PendingCompletions {

    private final Traces traces;

    private final ConcurrentHashMap<JobId, Set<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public PendingCompletions(Traces traces) {
        this.traces = traces;
    }

    /** Registers before the job is submitted, so its end cannot be missed. */
    public CompletableFuture<Void> register(JobId jobId) {
        if (closed) {
            return CompletableFuture.failedFuture(new ShuttingDown());
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        waiting.compute(jobId, (id, futures) -> {
            Set<CompletableFuture<Void>> all = futures == null ? ConcurrentHashMap.newKeySet() : futures;
            all.add(future);
            return all;
        });
        return future;
    }

    /**
     * The job's end was announced in the trace {@code traceparent}: when this instance holds requests for it, they are
     * released in a span of that trace ({@code job completion}); a stream's events continue it, a sync answer is
     * built in its request's own span.
     */
    public void complete(JobId jobId, String traceparent) {
        if (!waiting.containsKey(jobId)) {
            return; // every instance reads every end; only the one holding the request traces it
        }
        try (LogContext logged = LogContext.job(jobId);
                Traces.Traced span = traces.continueTrace("job completion", Span.Kind.CONSUMER, traceparent)
                        .tag("job.id", jobId.toString())) {
            complete(jobId);
        }
    }

    /** The job ended; a no-op when this instance is not holding it. */
    public void complete(JobId jobId) {
        Set<CompletableFuture<Void>> futures = waiting.remove(jobId);
        if (futures != null) {
            futures.forEach(future -> future.complete(null));
        }
    }

    public void forget(JobId jobId, CompletableFuture<Void> future) {
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
            Set<CompletableFuture<Void>> futures = waiting.remove(jobId);
            for (CompletableFuture<Void> future : futures == null ? Set.<CompletableFuture<Void>>of() : futures) {
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
