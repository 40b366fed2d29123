package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.Lane;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.stereotype.Component;

/**
 * Puts a lane's record that names no job on the lane's dead-letter topic ({@code <topic>-dlt}, partition 0, where
 * {@link KafkaErrorHandling} puts records whose claims kept failing), as it came, with the reason in a header. Nothing
 * reads that topic: it is kept for whoever looks into what a producer sent. A record handed back and delivered again
 * (a full lane, a claim of the same poll that failed) may be there twice.
 */
@Component
class DeadLetters {

    static final String REASON_HEADER = "x-transcriber-dead-letter-reason";
    /** Where the record was: {@code <topic>-<partition>@<offset>}. */
    static final String ORIGIN_HEADER = "x-transcriber-dead-letter-origin";

    private static final long SEND_TIMEOUT_SECONDS = 30;

    private final KafkaOperations<String, String> kafka;

    @SuppressWarnings("unchecked")
    DeadLetters(KafkaOperations<?, ?> kafka) {
        this.kafka = (KafkaOperations<String, String>) kafka;
    }

    /**
     * Sends {@code record} of {@code lane} there; the future completes once the broker has it, or fails (the broker
     * down, the topic refused, no answer within 30 s).
     */
    CompletableFuture<?> send(Lane lane, ConsumerRecord<String, String> record, String reason) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.remove(REASON_HEADER).add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(
                ORIGIN_HEADER,
                (record.topic() + "-" + record.partition() + "@" + record.offset()).getBytes(StandardCharsets.UTF_8));
        ProducerRecord<String, String> dead =
                new ProducerRecord<>(lane.deadLetterTopic(), 0, record.key(), record.value(), headers);
        try {
            return kafka.send(dead).orTimeout(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (KafkaException e) { // refused before it was sent (a closed producer, no metadata in time)
            return CompletableFuture.failedFuture(e);
        }
    }
}
