package dev.transcriber.api.completion;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.tracing.Traces;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.TopicPartition;
import org.springframework.stereotype.Component;

/**
 * Every api instance reads every {@link JobFinished} (all partitions, from the end, with no consumer group: see
 * {@link CompletionListeners}) and releases the request it holds, if any, in the trace the event carries, with the
 * answer the notice carries for a job that succeeded. A notice is keyed by its job: one for a job this instance does
 * not hold is passed over without parsing its JSON.
 */
@Component
class JobFinishedListener {

    private final PendingCompletions pending;
    private final EventCodec codec;

    JobFinishedListener(PendingCompletions pending, EventCodec codec) {
        this.pending = pending;
        this.codec = codec;
    }

    @KafkaListener(
            topicPartitions = @TopicPartition(topic = Topics.FINISHED, partitions = Topics.ALL_EVENT_PARTITIONS),
            containerPostProcessor = "withoutCommits",
            properties = "auto.offset.reset=latest")
    void on(ConsumerRecord<String, String> record) {
        JobId keyed = jobId(record.key());
        if (keyed != null && !pending.holds(keyed)) {
            return;
        }
        JobFinished event = codec.read(record.value(), JobFinished.class);
        Header traceparent = record.headers().lastHeader(Traces.TRACEPARENT);
        JobFinished.Answer answer = JobState.SUCCEEDED.name().equals(event.state()) ? event.answer() : null;
        pending.complete(event.jobId(), answer, Traces.header(traceparent == null ? null : traceparent.value()));
    }

    /** The job a notice is keyed by; null when its key is not a job id (then its body says). */
    private static JobId jobId(String key) {
        try {
            return key == null ? null : new JobId(UUID.fromString(key));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
