package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobProgress;
import dev.transcriber.common.events.Topics;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/** Every api instance reads every {@link JobProgress} and moves on the stream it holds for that job, if any. */
@Component
class JobProgressListener {

    private final PendingProgress progress;

    JobProgressListener(PendingProgress progress) {
        this.progress = progress;
    }

    @KafkaListener(
            topics = Topics.PROGRESS,
            groupId = "api-progress-${transcriber.api.instance-id:${random.uuid}}",
            properties = {"auto.offset.reset=latest", "enable.auto.commit=true"})
    void on(JobProgress event) {
        progress.progressed(event.jobId());
    }
}
