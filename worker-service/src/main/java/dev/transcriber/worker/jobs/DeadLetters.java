package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.Lane;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.stereotype.Component;

/**
 * Puts a lane's record that names no job on the lane's dead-letter topic ({@code <topic>-dlt}, partition 0, where
 * {@link KafkaErrorHandling} puts records whose claims kept failing), as it came, with the reason in a header. Nothing
 * reads that topic: it is kept for whoever looks into what a producer sent.
 */
@Component
class DeadLetters {

    static final String REASON_HEADER = "x-transcriber-dead-letter-reason";

    private static final long SEND_TIMEOUT_SECONDS = 30;

    private final KafkaOperations<String, String> kafka;

    @SuppressWarnings("unchecked")
    DeadLetters(KafkaOperations<?, ?> kafka) {
        this.kafka = (KafkaOperations<String, String>) kafka;
    }

    /**
     * Sends {@code record} of {@code lane} there and waits until the broker has it; a failure fails the poll, to be
     * tried again.
     */
    void send(Lane lane, ConsumerRecord<String, String> record, String reason) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.remove(REASON_HEADER).add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        ProducerRecord<String, String> dead =
                new ProducerRecord<>(lane.deadLetterTopic(), 0, record.key(), record.value(), headers);
        try {
            kafka.send(dead).get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while dead-lettering a record of " + record.topic(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("could not dead-letter a record of " + record.topic() + ": " + e, e);
        }
    }
}
