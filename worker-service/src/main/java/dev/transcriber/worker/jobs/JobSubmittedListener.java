package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.tracing.Traces;
import java.util.List;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.messaging.Message;
import org.springframework.stereotype.Component;

/**
 * Takes jobs a poll at a time, one consumer group per lane; the offsets move on only past jobs that are claimed
 * ({@link JobDispatcher} acknowledges them, or hands back what its lane has no room for). Each record's
 * {@code traceparent} header goes with its job, whose run continues that trace (batch listeners have no Kafka
 * observation of their own).
 */
@Component
class JobSubmittedListener {

    static final String INTERACTIVE_GROUP = "workers";
    static final String ASYNC_GROUP = "workers-async";
    static final String BULK_GROUP = "workers-bulk";

    private final JobDispatcher dispatcher;

    JobSubmittedListener(JobDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    @KafkaListener(
            topics = Topics.JOBS,
            groupId = INTERACTIVE_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks",
            concurrency = "${transcriber.worker.consumers:2}")
    void interactive(List<Message<JobSubmitted>> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.INTERACTIVE, ids(events), ack);
    }

    @KafkaListener(
            topics = Topics.JOBS + ".async",
            groupId = ASYNC_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks",
            concurrency = "${transcriber.worker.consumers:2}")
    void async(List<Message<JobSubmitted>> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.ASYNC, ids(events), ack);
    }

    @KafkaListener(
            topics = Topics.JOBS + ".bulk",
            groupId = BULK_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks")
    void bulk(List<Message<JobSubmitted>> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.BULK, ids(events), ack);
    }

    /** The consumer group that reads {@code lane}'s topic. */
    static String group(Lane lane) {
        return switch (lane) {
            case INTERACTIVE -> INTERACTIVE_GROUP;
            case ASYNC -> ASYNC_GROUP;
            case BULK -> BULK_GROUP;
        };
    }

    private static List<JobDispatcher.Submitted> ids(List<Message<JobSubmitted>> events) {
        return events.stream()
                .map(event -> new JobDispatcher.Submitted(
                        event.getPayload().jobId(),
                        Traces.header(event.getHeaders().get(Traces.TRACEPARENT))))
                .toList();
    }
}
