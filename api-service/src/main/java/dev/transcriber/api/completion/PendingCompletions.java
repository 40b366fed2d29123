package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobId;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The jobs whose callers this instance is holding, and the futures that release them. When the instance shuts down,
 * {@link #closeAll} releases those still held with {@link ShuttingDown}.
 */
@Component
public class PendingCompletions {

    private final ConcurrentHashMap<JobId, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Registers before the job is submitted, so its end cannot be missed. */
    public CompletableFuture<Void> register(JobId jobId) {
        if (closed) {
            return CompletableFuture.failedFuture(new ShuttingDown());
        }
        return waiting.computeIfAbsent(jobId, id -> new CompletableFuture<>());
    }

    /** The job ended; a no-op when this instance is not holding it. */
    public void complete(JobId jobId) {
        CompletableFuture<Void> future = waiting.remove(jobId);
        if (future != null) {
            future.complete(null);
        }
    }

    public void forget(JobId jobId) {
        waiting.remove(jobId);
    }

    public Set<JobId> waitingJobs() {
        return Set.copyOf(waiting.keySet());
    }

    public int size() {
        return waiting.size();
    }

    /** The drain is over: every request still held is released with {@link ShuttingDown}; how many there were. */
    int closeAll() {
        closed = true;
        int released = 0;
        for (JobId jobId : waiting.keySet()) {
            CompletableFuture<Void> future = waiting.remove(jobId);
            if (future != null && future.completeExceptionally(new ShuttingDown())) {
                released++;
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
