package dev.transcriber.api.completion;

import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.tracing.Traces;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.TopicPartition;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

/**
 * Every api instance reads every {@link JobFinished} (all partitions, from the end, with no consumer group: see
 * {@link CompletionListeners}) and releases the request it holds, if any, in the trace the event carries.
 */
@Component
class JobFinishedListener {

    private final PendingCompletions pending;

    JobFinishedListener(PendingCompletions pending) {
        this.pending = pending;
    }

    @KafkaListener(
            topicPartitions = @TopicPartition(topic = Topics.FINISHED, partitions = Topics.ALL_EVENT_PARTITIONS),
            containerPostProcessor = "withoutCommits",
            properties = "auto.offset.reset=latest")
    void on(JobFinished event, @Header(name = Traces.TRACEPARENT, required = false) String traceparent) {
        pending.complete(event.jobId(), traceparent);
    }
}
