package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.Topics;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Every api instance reads every {@link JobFinished} (a consumer group of its own, from the latest offset) and
 * releases the request it holds, if any.
 */
@Component
class JobFinishedListener {

    private final PendingCompletions pending;

    JobFinishedListener(PendingCompletions pending) {
        this.pending = pending;
    }

    @KafkaListener(
            topics = Topics.FINISHED,
            groupId = "api-completions-${transcriber.api.instance-id:${random.uuid}}",
            properties = "auto.offset.reset=latest")
    void on(JobFinished event) {
        pending.complete(event.jobId());
    }
}
