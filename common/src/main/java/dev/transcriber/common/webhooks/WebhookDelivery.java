package dev.transcriber.common.webhooks;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One event for one webhook URL, and how its delivery has gone so far. */
@Entity
@Table(name = "webhook_deliveries")
public class WebhookDelivery {

    @Id
    private String id;

    /** The job whose event this is; null for a batch's own event. */
    @Column(name = "job_id")
    private UUID jobId;

    @Column(name = "batch_id")
    private UUID batchId;

    @Column(name = "api_key_id")
    private UUID apiKeyId;

    @Column(nullable = false)
    private String url;

    @Column(name = "event_type", nullable = false)
    private String eventType;

    @Column(nullable = false)
    private String payload;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private DeliveryState state;

    @Column(nullable = false)
    private int attempts;

    @Column(name = "next_attempt_at")
    private Instant nextAttemptAt;

    /** While a sender holds it: until when (its attempt is under way; nobody else sends it, nothing moves it). */
    @Column(name = "sending_until")
    private Instant sendingUntil;

    @Column(name = "last_status")
    private Integer lastStatus;

    @Column(name = "last_error")
    private String lastError;

    @Column(name = "attempt_log", nullable = false)
    private String attemptLog = "[]";

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "delivered_at")
    private Instant deliveredAt;

    /** The trace the delivery was written in (the job's end); every attempt's POST continues it. */
    @Column(name = "traceparent")
    private String traceparent;

    protected WebhookDelivery() {}

    /** A delivery about a job ({@code jobId}) or a batch ({@code batchId}). */
    static WebhookDelivery pending(
            String id,
            UUID jobId,
            UUID batchId,
            UUID apiKeyId,
            String url,
            String eventType,
            String payload,
            Instant now,
            String traceparent) {
        WebhookDelivery delivery = new WebhookDelivery();
        delivery.traceparent = traceparent;
        delivery.id = id;
        delivery.jobId = jobId;
        delivery.batchId = batchId;
        delivery.apiKeyId = apiKeyId;
        delivery.url = url;
        delivery.eventType = eventType;
        delivery.payload = payload;
        delivery.state = DeliveryState.PENDING;
        delivery.nextAttemptAt = now;
        delivery.createdAt = now;
        return delivery;
    }

    /** An attempt got a 2xx. */
    public void delivered(int status, String log, Instant now) {
        this.attempts++;
        this.state = DeliveryState.DELIVERED;
        this.lastStatus = status;
        this.lastError = null;
        this.attemptLog = log;
        this.deliveredAt = now;
        this.nextAttemptAt = null;
        this.sendingUntil = null;
    }

    /** An attempt failed; the next one is at {@code next}, or never (null: the schedule ran out). */
    public void failed(Integer status, String error, String log, Instant next) {
        this.attempts++;
        this.lastStatus = status;
        this.lastError = error;
        this.attemptLog = log;
        this.nextAttemptAt = next;
        this.state = next == null ? DeliveryState.GAVE_UP : DeliveryState.PENDING;
        this.sendingUntil = null;
    }

    /** The receiver answered 410 Gone: this URL gets nothing more. */
    public void disabled(String log) {
        this.attempts++;
        this.lastStatus = 410;
        this.lastError = "the receiver answered 410 Gone; the URL is disabled";
        this.attemptLog = log;
        this.nextAttemptAt = null;
        this.state = DeliveryState.DISABLED;
        this.sendingUntil = null;
    }

    /**
     * An attempt failed (no 2xx, no 410) after another delivery's 410 disabled this URL for the key: this one gets
     * nothing more either.
     */
    public void failedOnDisabledUrl(Integer status, String error, String log) {
        this.attempts++;
        this.lastStatus = status;
        this.lastError = error + "; the URL answered 410 Gone to another delivery and is disabled";
        this.attemptLog = log;
        this.nextAttemptAt = null;
        this.state = DeliveryState.DISABLED;
        this.sendingUntil = null;
    }

    /** The owner asked for it again: the same message (same id), from now. */
    public void redeliver(Instant now) {
        this.state = DeliveryState.PENDING;
        this.nextAttemptAt = now;
    }

    public String id() {
        return id;
    }

    public UUID jobId() {
        return jobId;
    }

    public UUID batchId() {
        return batchId;
    }

    public UUID apiKeyId() {
        return apiKeyId;
    }

    public String url() {
        return url;
    }

    public String traceparent() {
        return traceparent;
    }

    public String eventType() {
        return eventType;
    }

    public String payload() {
        return payload;
    }

    public DeliveryState state() {
        return state;
    }

    public int attempts() {
        return attempts;
    }

    public Instant nextAttemptAt() {
        return nextAttemptAt;
    }

    public Instant sendingUntil() {
        return sendingUntil;
    }

    public Integer lastStatus() {
        return lastStatus;
    }

    public String lastError() {
        return lastError;
    }

    public String attemptLog() {
        return attemptLog;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant deliveredAt() {
        return deliveredAt;
    }
}
