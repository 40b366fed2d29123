package dev.transcriber.common.outbox;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.store.OutboxMessage;
import dev.transcriber.common.store.OutboxRepository;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Limit;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Publishes events reliably: {@link #add} writes the event in the caller's transaction and sends it to Kafka as
 * soon as that transaction commits. If the broker is unreachable then, {@link #relayPending} sends it later. A
 * message may be sent twice; consumers are idempotent.
 */
public class Outbox {

    private static final Logger log = LoggerFactory.getLogger(Outbox.class);

    private final OutboxRepository messages;
    private final KafkaTemplate<String, String> kafka;
    private final EventCodec codec;
    private final Clock clock;
    private final Executor afterSend;

    public Outbox(
            OutboxRepository messages,
            KafkaTemplate<String, String> kafka,
            EventCodec codec,
            Clock clock,
            Executor afterSend) {
        this.messages = messages;
        this.kafka = kafka;
        this.codec = codec;
        this.clock = clock;
        this.afterSend = afterSend;
    }

    /** Records {@code event} in the current transaction; it is sent once that transaction commits. */
    public void add(String topic, String key, Object event) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("Outbox.add needs a transaction");
        }
        OutboxMessage message = messages.save(new OutboxMessage(topic, key, codec.write(event), clock.instant()));
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                sendNow(message);
            }
        });
    }

    private void sendNow(OutboxMessage message) {
        try {
            kafka.send(message.topic(), message.key(), message.payload()).whenComplete((result, failure) -> {
                if (failure == null) {
                    afterSend.execute(() -> markPublished(message));
                } else {
                    log.warn(
                            "outbox message {} not sent yet ({}); the relay will retry",
                            message.id(),
                            failure.toString());
                }
            });
        } catch (RuntimeException e) {
            log.warn("outbox message {} not sent yet ({}); the relay will retry", message.id(), e.toString());
        }
    }

    /**
     * Sends messages that were not confirmed sent and are older than {@code minAge} (younger ones are probably on
     * their way). Returns how many were sent.
     */
    public int relayPending(Duration minAge, int batchSize) {
        int sent = 0;
        for (OutboxMessage message : messages.findUnpublished(clock.instant().minus(minAge), Limit.of(batchSize))) {
            try {
                kafka.send(message.topic(), message.key(), message.payload()).get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return sent;
            } catch (Exception e) {
                log.warn("outbox relay: broker still unreachable ({}); will retry", e.toString());
                return sent;
            }
            markPublished(message);
            sent++;
        }
        if (sent > 0) {
            log.info("outbox relay sent {} pending message(s)", sent);
        }
        return sent;
    }

    private void markPublished(OutboxMessage message) {
        messages.markPublished(message.id(), clock.instant());
    }
}
