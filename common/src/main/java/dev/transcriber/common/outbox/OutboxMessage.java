package dev.transcriber.common.outbox;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A Kafka message written in the same transaction as the state it announces. It is sent right after commit and
 * deleted once the broker has it; if the broker is away, the relay sends it later. While one instance sends it, the
 * row is leased to that instance ({@code leaseOwner} until {@code sendingUntil}) and nobody else sends it. Consumers
 * are idempotent all the same (an acknowledgement lost with its sender means a second send).
 */
@Entity
@Table(name = "outbox")
public class OutboxMessage {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false)
    private String topic;

    @Column(name = "message_key", nullable = false)
    private String key;

    @Column(nullable = false)
    private String payload;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "sending_until")
    private Instant sendingUntil;

    @Column(name = "lease_owner")
    private String leaseOwner;

    /** The W3C trace context of the code that wrote it; sent as the record's {@code traceparent} header. */
    @Column(name = "traceparent")
    private String traceparent;

    protected OutboxMessage() {}

    /** A message no one is sending yet: the next relay takes it. */
    public OutboxMessage(String topic, String key, String payload, Instant createdAt) {
        this.topic = topic;
        this.key = key;
        this.payload = payload;
        this.createdAt = createdAt;
    }

    /**
     * A message its inserting instance sends itself after commit: nobody else sends it before {@code until}. It
     * continues the trace {@code traceparent} (null: none).
     */
    public static OutboxMessage leased(
            String topic,
            String key,
            String payload,
            Instant createdAt,
            String owner,
            Instant until,
            String traceparent) {
        OutboxMessage message = new OutboxMessage(topic, key, payload, createdAt);
        message.leaseOwner = owner;
        message.sendingUntil = until;
        message.traceparent = traceparent;
        return message;
    }

    public Long id() {
        return id;
    }

    public String topic() {
        return topic;
    }

    public String key() {
        return key;
    }

    public String payload() {
        return payload;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant sendingUntil() {
        return sendingUntil;
    }

    public String leaseOwner() {
        return leaseOwner;
    }

    public String traceparent() {
        return traceparent;
    }
}
