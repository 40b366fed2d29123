package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.Topics;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Every api instance reads every {@link JobFinished} (a consumer group of its own, from the latest offset) and
 * releases the request it holds, if any. Its offsets do not matter (a restarted instance holds no requests), so they
 * are committed in the background rather than after each record.
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
            properties = {"auto.offset.reset=latest", "enable.auto.commit=true"})
    void on(JobFinished event) {
        pending.complete(event.jobId());
    }
}
