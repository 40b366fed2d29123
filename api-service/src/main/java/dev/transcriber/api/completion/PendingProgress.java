package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The streaming requests this instance holds, and what to call when their job moves on (a piece finished). */
@Component
public class PendingProgress {

    private final ConcurrentHashMap<JobId, Runnable> following = new ConcurrentHashMap<>();

    public void follow(JobId jobId, Runnable onProgress) {
        following.put(jobId, onProgress);
    }

    public void forget(JobId jobId) {
        following.remove(jobId);
    }

    /** Something happened to the job; a no-op when this instance is not streaming it. */
    public void progressed(JobId jobId) {
        Runnable callback = following.get(jobId);
        if (callback != null) {
            callback.run();
        }
    }

    public Set<JobId> followedJobs() {
        return Set.copyOf(following.keySet());
    }
}
