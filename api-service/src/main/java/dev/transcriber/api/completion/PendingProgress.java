package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The streaming requests this instance holds, and what to call when their job moves on (a piece finished). Several
 * requests may follow one job (a retry with the same {@code Idempotency-Key} attaches to the first one's job): each
 * has its own callback, and forgets only its own.
 */
@Component
public class PendingProgress {

    private static final Logger log = LoggerFactory.getLogger(PendingProgress.class);

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
        if (callbacks == null) {
            return;
        }
        for (Runnable callback : callbacks) {
            try {
                callback.run();
            } catch (RuntimeException e) {
                // one stream's failure (its read of the database) holds up none of the others
                log.warn(
                        "a stream of job {} could not move on ({}); it looks again at the next poll",
                        jobId,
                        e.toString());
            }
        }
    }

    public Set<JobId> followedJobs() {
        return Set.copyOf(following.keySet());
    }
}
