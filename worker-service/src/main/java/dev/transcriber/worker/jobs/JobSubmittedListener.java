package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.tracing.Traces;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.stereotype.Component;

/**
 * Takes jobs a poll at a time, one consumer group per lane; the offsets move on only past jobs that are claimed
 * ({@link JobDispatcher} acknowledges them, or hands back what its lane has no room for). Each record's
 * {@code traceparent} header goes with its job, whose run continues that trace (batch listeners have no Kafka
 * observation of their own). Each record is read here, not by a message converter before the listener: a record that
 * cannot be read as a job's event (no job id, JSON {@code null}, a tombstone, not JSON at all) goes to the lane's
 * dead-letter topic at once (the error handler's {@link DeadLetterPublishingRecoverer}) and is passed, alone: no retry could make it name a job, and failing
 * it would hold up its partition (a converter's failure failed its whole poll); a failed send fails that record alone.
 */
@Component
class JobSubmittedListener {

    static final String INTERACTIVE_GROUP = "workers";
    static final String ASYNC_GROUP = "workers-async";
    static final String BULK_GROUP = "workers-bulk";

    private static final Logger log = LoggerFactory.getLogger(JobSubmittedListener.class);

    private final JobDispatcher dispatcher;
    private final EventCodec codec;
    private final DeadLetterPublishingRecoverer deadLetters;

    JobSubmittedListener(JobDispatcher dispatcher, EventCodec codec, DeadLetterPublishingRecoverer deadLetters) {
        this.dispatcher = dispatcher;
        this.codec = codec;
        this.deadLetters = deadLetters;
    }

    @KafkaListener(
            topics = Topics.JOBS,
            groupId = INTERACTIVE_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks",
            concurrency = "${transcriber.worker.consumers:2}")
    void interactive(List<ConsumerRecord<String, String>> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.INTERACTIVE, ids(Lane.INTERACTIVE, events), ack);
    }

    @KafkaListener(
            topics = Topics.JOBS + ".async",
            groupId = ASYNC_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks",
            concurrency = "${transcriber.worker.consumers:2}")
    void async(List<ConsumerRecord<String, String>> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.ASYNC, ids(Lane.ASYNC, events), ack);
    }

    @KafkaListener(
            topics = Topics.JOBS + ".bulk",
            groupId = BULK_GROUP,
            batch = "true",
            containerPostProcessor = "manualAcks")
    void bulk(List<ConsumerRecord<String, String>> events, Acknowledgment ack) throws InterruptedException {
        dispatcher.dispatch(Lane.BULK, ids(Lane.BULK, events), ack);
    }

    /** The consumer group that reads {@code lane}'s topic. */
    static String group(Lane lane) {
        return switch (lane) {
            case INTERACTIVE -> INTERACTIVE_GROUP;
            case ASYNC -> ASYNC_GROUP;
            case BULK -> BULK_GROUP;
        };
    }

    /**
     * The jobs {@code events} name, in order; one that names none has a null id, and is put on the lane's dead-letter
     * topic when the dispatcher reaches it (a failed send fails that record alone, to be tried again).
     */
    private List<JobDispatcher.Submitted> ids(Lane lane, List<ConsumerRecord<String, String>> events) {
        return events.stream()
                .map(event -> {
                    Header traceparent = event.headers().lastHeader(Traces.TRACEPARENT);
                    String trace = traceparent == null ? null : Traces.header(traceparent.value());
                    JobId id = jobId(event.value());
                    return id != null
                            ? new JobDispatcher.Submitted(id, trace)
                            : new JobDispatcher.Submitted(null, trace, () -> {
                                log.warn(
                                        "a record of {} (partition {}, offset {}) names no job; it goes to {}",
                                        event.topic(),
                                        event.partition(),
                                        event.offset(),
                                        lane.deadLetterTopic());
                                deadLetters.accept(
                                        event, null, new IllegalArgumentException("the record names no job"));
                            });
                })
                .toList();
    }

    /** The job a record's value names; null when it names none or cannot be read. */
    private JobId jobId(String value) {
        if (value == null) {
            return null;
        }
        try {
            JobSubmitted submitted = codec.read(value, JobSubmitted.class);
            return submitted == null ? null : submitted.jobId();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
