package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobId;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The jobs whose callers this instance is holding, and the futures that release them. */
@Component
public class PendingCompletions {

    private final ConcurrentHashMap<JobId, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();

    /** Registers before the job is submitted, so its end cannot be missed. */
    public CompletableFuture<Void> register(JobId jobId) {
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
}
