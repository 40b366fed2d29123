package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobProgress;
import dev.transcriber.common.events.Topics;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.TopicPartition;
import org.springframework.stereotype.Component;

/**
 * Every api instance reads every {@link JobProgress} (all partitions, from the end, with no consumer group: see
 * {@link CompletionListeners}) and moves on the stream it holds for that job, if any.
 */
@Component
class JobProgressListener {

    private final PendingProgress progress;

    JobProgressListener(PendingProgress progress) {
        this.progress = progress;
    }

    @KafkaListener(
            topicPartitions = @TopicPartition(topic = Topics.PROGRESS, partitions = Topics.ALL_EVENT_PARTITIONS),
            containerPostProcessor = "withoutCommits",
            properties = "auto.offset.reset=latest")
    void on(JobProgress event) {
        progress.progressed(event.jobId());
    }
}
