package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import java.util.List;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.stereotype.Component;

/**
 * Takes jobs a poll at a time, one consumer group per lane; the offsets move on only past jobs that are claimed
 * ({@link JobDispatcher} acknowledges them, or hands back what its lane has no room for).
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
    void interactive(List<JobSubmitted> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.INTERACTIVE, ids(events), ack);
    }

    @KafkaListener(
            topics = Topics.JOBS + ".async",
            groupId = ASYNC_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks",
            concurrency = "${transcriber.worker.consumers:2}")
    void async(List<JobSubmitted> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.ASYNC, ids(events), ack);
    }

    @KafkaListener(
            topics = Topics.JOBS + ".bulk",
            groupId = BULK_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks")
    void bulk(List<JobSubmitted> events, Acknowledgment ack) throws InterruptedException {
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

    private static List<JobId> ids(List<JobSubmitted> events) {
        return events.stream().map(JobSubmitted::jobId).toList();
    }
}
