package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The streaming requests this instance holds, and what to call when their job moves on (a piece finished). Several
 * requests may follow one job (a retry with the same {@code Idempotency-Key} attaches to the first one's job): each
 * has its own callback, and forgets only its own.
 */
@Component
public class PendingProgress {

    private final ConcurrentHashMap<JobId, Set<Runnable>> following = new ConcurrentHashMap<>();

    /** Calls {@code onProgress} whenever the job moves on, until {@link #forget} with the same callback. */
    public void follow(JobId jobId, Runnable onProgress) {
        following.compute(jobId, (id, callbacks) -> {
            Set<Runnable> all = callbacks == null ? ConcurrentHashMap.newKeySet() : callbacks;
            all.add(onProgress);
            return all;
        });
    }

    public void forget(JobId jobId, Runnable onProgress) {
        following.computeIfPresent(jobId, (id, callbacks) -> {
            callbacks.remove(onProgress);
            return callbacks.isEmpty() ? null : callbacks;
        });
    }

    /** Something happened to the job; a no-op when this instance is not streaming it. */
    public void progressed(JobId jobId) {
        Set<Runnable> callbacks = following.get(jobId);
        if (callbacks != null) {
            callbacks.forEach(Runnable::run);
        }
    }

    public Set<JobId> followedJobs() {
        return Set.copyOf(following.keySet());
    }
}
