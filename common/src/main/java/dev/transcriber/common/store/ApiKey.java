package dev.transcriber.common.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A caller's API key. Only the SHA-256 of the secret is kept. */
@Entity
@Table(name = "api_keys")
public class ApiKey {

    @Id
    private UUID id;

    @Column(nullable = false)
    private String name;

    @Column(name = "key_hash", nullable = false, unique = true)
    private String keyHash;

    @Column(name = "key_prefix", nullable = false)
    private String keyPrefix;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "revoked_at")
    private Instant revokedAt;

    /** Signs this key's webhooks ({@code whsec_...}). */
    @Column(name = "webhook_secret")
    private String webhookSecret;

    /** The secret before the last rotation, still signing alongside the new one until {@link #previousUntil}. */
    @Column(name = "webhook_secret_previous")
    private String webhookSecretPrevious;

    @Column(name = "webhook_previous_until")
    private Instant previousUntil;

    /** Comma-separated public model ids; null or empty: every model. */
    @Column(name = "allowed_models")
    private String allowedModels;

    @Column(name = "requests_per_minute")
    private Integer requestsPerMinute;

    @Column(name = "audio_seconds_per_day")
    private Integer audioSecondsPerDay;

    @Column(name = "max_concurrent_jobs")
    private Integer maxConcurrentJobs;

    /** Over {@link #maxConcurrentJobs}: {@code refuse} (429) or {@code queue} (accepted, held until a job ends). */
    @Column(name = "concurrent_jobs_mode", nullable = false)
    private String concurrentJobsMode = "refuse";

    protected ApiKey() {}

    public ApiKey(UUID id, String name, String keyHash, String keyPrefix, Instant createdAt) {
        this.id = id;
        this.name = name;
        this.keyHash = keyHash;
        this.keyPrefix = keyPrefix;
        this.createdAt = createdAt;
    }

    /** The secrets that sign a delivery made at {@code now}: the current one, and the previous during a rotation. */
    public java.util.List<String> signingSecrets(Instant now) {
        java.util.List<String> secrets = new java.util.ArrayList<>();
        if (webhookSecret != null) {
            secrets.add(webhookSecret);
        }
        if (webhookSecretPrevious != null && previousUntil != null && now.isBefore(previousUntil)) {
            secrets.add(webhookSecretPrevious);
        }
        return secrets;
    }

    public String webhookSecret() {
        return webhookSecret;
    }

    /** Sets the secret when the key has none (new keys, keys from before webhooks). */
    public void ensureWebhookSecret(String secret) {
        if (webhookSecret == null) {
            webhookSecret = secret;
        }
    }

    /** A new secret; the old one keeps signing too until {@code overlapUntil}, so receivers can switch over. */
    public void rotateWebhookSecret(String secret, Instant overlapUntil) {
        this.webhookSecretPrevious = webhookSecret;
        this.previousUntil = overlapUntil;
        this.webhookSecret = secret;
    }

    /** The models this key may use (their bare ids); empty means all. */
    public java.util.List<String> allowedModels() {
        return allowedModels == null || allowedModels.isBlank()
                ? java.util.List.of()
                : java.util.List.of(allowedModels.split(","));
    }

    public void allowModels(java.util.List<String> models) {
        this.allowedModels = models == null || models.isEmpty() ? null : String.join(",", models);
    }

    public void rename(String name) {
        this.name = name;
    }

    public void limit(Integer requestsPerMinute, Integer audioSecondsPerDay, Integer maxConcurrentJobs) {
        this.requestsPerMinute = requestsPerMinute;
        this.audioSecondsPerDay = audioSecondsPerDay;
        this.maxConcurrentJobs = maxConcurrentJobs;
    }

    public Integer requestsPerMinute() {
        return requestsPerMinute;
    }

    public Integer audioSecondsPerDay() {
        return audioSecondsPerDay;
    }

    public Integer maxConcurrentJobs() {
        return maxConcurrentJobs;
    }

    /** True when jobs over the concurrency cap wait their turn instead of being refused. */
    public boolean queuesOverCap() {
        return "queue".equals(concurrentJobsMode);
    }

    /** {@code refuse} or {@code queue}. */
    public String concurrentJobsMode() {
        return concurrentJobsMode;
    }

    public void concurrentJobsMode(String mode) {
        if (!"refuse".equals(mode) && !"queue".equals(mode)) {
            throw new IllegalArgumentException(mode);
        }
        this.concurrentJobsMode = mode;
    }

    public void revoke(Instant now) {
        if (revokedAt == null) {
            revokedAt = now;
        }
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant revokedAt() {
        return revokedAt;
    }

    public UUID id() {
        return id;
    }

    public String name() {
        return name;
    }

    public String keyPrefix() {
        return keyPrefix;
    }

    public boolean isActive() {
        return revokedAt == null;
    }
}
