package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.lifecycle.ProgressNotices;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Every api instance hears every progress notice ({@link ProgressNotices}: a PostgreSQL notification naming a job one
 * more of whose pieces is done, on the listener's thread) and moves on the streams it holds for that job, if any, on
 * a virtual thread (a stream's callbacks read the database; the listener's thread must not wait). When the listener's
 * connection listens again after losing it, every stream this instance holds looks again, as at the poller's tick.
 */
@Component
class JobProgressListener {

    private static final Logger log = LoggerFactory.getLogger(JobProgressListener.class);

    private final PendingProgress progress;

    JobProgressListener(PendingProgress progress, Wakeups wakeups) {
        this.progress = progress;
        wakeups.subscribe(Channel.PROGRESS, this::on);
    }

    void on(String payload) {
        if (payload == null) {
            if (!progress.followedJobs().isEmpty()) {
                moveOn(() -> progress.followedJobs().forEach(progress::progressed));
            }
            return;
        }
        JobId job = ProgressNotices.jobId(payload);
        if (job != null && progress.follows(job)) {
            moveOn(() -> progress.progressed(job));
        }
    }

    private static void moveOn(Runnable streams) {
        Thread.ofVirtual().name("stream-progress").start(() -> {
            try {
                streams.run();
            } catch (RuntimeException e) {
                log.warn("a stream could not move on ({}); it looks again at the poller's tick", e.toString());
            }
        });
    }
}
