package dev.transcriber.common.outbox;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.store.OutboxMessage;
import dev.transcriber.common.store.OutboxRepository;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Limit;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Publishes events reliably: {@link #add} writes the event in the caller's transaction and sends it to Kafka as
 * soon as that transaction commits. Rows the broker acknowledged are deleted in batches ({@link #forgetSent}); a row
 * still there after {@code minAge} was not acknowledged and {@link #relayPending} sends it again. A message may so be
 * sent twice; consumers are idempotent.
 */
public class Outbox {

    private static final Logger log = LoggerFactory.getLogger(Outbox.class);

    private final OutboxRepository messages;
    private final KafkaTemplate<String, String> kafka;
    private final EventCodec codec;
    private final Clock clock;
    private final Queue<Long> sent = new ConcurrentLinkedQueue<>();

    public Outbox(OutboxRepository messages, KafkaTemplate<String, String> kafka, EventCodec codec, Clock clock) {
        this.messages = messages;
        this.kafka = kafka;
        this.codec = codec;
        this.clock = clock;
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
                    sent.add(message.id());
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

    /** Deletes the rows of messages the broker acknowledged since the last call. */
    public int forgetSent() {
        List<Long> ids = new ArrayList<>();
        for (Long id = sent.poll(); id != null && ids.size() < 10_000; id = sent.poll()) {
            ids.add(id);
        }
        if (!ids.isEmpty()) {
            messages.deleteSent(ids);
        }
        return ids.size();
    }

    /**
     * Sends again messages older than {@code minAge} that were never acknowledged (younger ones are probably on their
     * way). Returns how many were sent.
     */
    public int relayPending(Duration minAge, int batchSize) {
        forgetSent();
        List<Long> relayed = new ArrayList<>();
        for (OutboxMessage message : messages.findOlderThan(clock.instant().minus(minAge), Limit.of(batchSize))) {
            try {
                kafka.send(message.topic(), message.key(), message.payload()).get(10, TimeUnit.SECONDS);
                relayed.add(message.id());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                log.warn("outbox relay: broker still unreachable ({}); will retry", e.toString());
                break;
            }
        }
        if (!relayed.isEmpty()) {
            messages.deleteSent(relayed);
            log.info("outbox relay sent {} pending message(s)", relayed.size());
        }
        return relayed.size();
    }
}
