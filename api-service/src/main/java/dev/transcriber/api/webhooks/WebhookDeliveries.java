package dev.transcriber.api.webhooks;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.jobs.JobQueries;
import dev.transcriber.api.jobs.NewestFirst;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.common.webhooks.DeliveryState;
import dev.transcriber.common.webhooks.WebhookDelivery;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import dev.transcriber.common.webhooks.WebhookSignature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.springframework.data.domain.Limit;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhook deliveries in a {@link Scope}: a job's deliveries and the redelivery of its latest one (the same message,
 * the same {@code webhook-id}); the latest deliveries fleet-wide for the operator; and the rotation of a key's
 * signing secret.
 */
@Service
class WebhookDeliveries {

    /** How long the previous secret keeps signing after a rotation. */
    static final Duration ROTATION_OVERLAP = Duration.ofHours(24);

    private final JobQueries jobs;
    private final WebhookDeliveryRepository deliveries;
    private final ApiKeyRepository keys;
    private final JsonMapper json;
    private final Clock clock;
    private final Wakeups wakeups;

    WebhookDeliveries(
            JobQueries jobs,
            WebhookDeliveryRepository deliveries,
            ApiKeyRepository keys,
            JsonMapper json,
            Clock clock,
            Wakeups wakeups) {
        this.wakeups = wakeups;
        this.jobs = jobs;
        this.deliveries = deliveries;
        this.keys = keys;
        this.json = json;
        this.clock = clock;
    }

    /** The new secret, and until when the previous one still signs. */
    record SecretRotated(String object, String secret, long previous_signs_until) {}

    @Transactional(readOnly = true)
    WebhookDeliveryView.Page ofJob(JobId id, Scope scope) {
        jobs.find(id, scope);
        return WebhookDeliveryView.Page.of(deliveries.findByJobIdOrderByCreatedAt(id.value()).stream()
                .map(d -> WebhookDeliveryView.of(d, scope, json))
                .toList());
    }

    @Transactional
    WebhookDeliveryView redeliver(JobId id, Scope scope) {
        jobs.find(id, scope);
        List<WebhookDelivery> all = deliveries.findByJobIdOrderByCreatedAt(id.value());
        if (all.isEmpty()) {
            throw new ApiException(
                    HttpStatus.NOT_FOUND,
                    "invalid_request_error",
                    "not_found",
                    "id",
                    "Job '" + id + "' has no webhook delivery to redeliver.");
        }
        WebhookDelivery latest = all.getLast();
        latest.redeliver(clock.instant());
        wakeups.notify(Channel.WEBHOOKS); // a sender takes it as soon as this commits
        return WebhookDeliveryView.of(latest, scope, json);
    }

    /**
     * The latest deliveries of every key, newest first: {@code failed} (given up, or the URL disabled by a 410),
     * {@code pending} (due, or waiting for a retry), {@code delivered}, or all of them.
     */
    @Transactional(readOnly = true)
    WebhookDeliveryView.Page latest(String status, Integer limit) {
        int size = NewestFirst.pageSize(limit);
        return WebhookDeliveryView.Page.of(
                deliveries.findByStateInOrderByCreatedAtDescIdDesc(states(status), Limit.of(size)).stream()
                        .map(d -> WebhookDeliveryView.of(d, Scope.EVERY_KEY, json))
                        .toList());
    }

    private static Set<DeliveryState> states(String status) {
        if (status == null) {
            return EnumSet.allOf(DeliveryState.class);
        }
        return switch (status) {
            case "failed" -> EnumSet.of(DeliveryState.GAVE_UP, DeliveryState.DISABLED);
            case "pending" -> EnumSet.of(DeliveryState.PENDING);
            case "delivered" -> EnumSet.of(DeliveryState.DELIVERED);
            default ->
                throw ApiException.invalidRequest(
                        "Invalid value for 'status': '" + status
                                + "'. Supported values are: 'failed', 'pending' and 'delivered'.",
                        "status");
        };
    }

    @Transactional
    SecretRotated rotate(Caller caller) {
        ApiKey key = keys.findById(caller.keyId()).orElseThrow();
        Instant until = clock.instant().plus(ROTATION_OVERLAP);
        key.rotateWebhookSecret(WebhookSignature.newSecret(), until);
        return new SecretRotated("webhook_secret", key.webhookSecret(), until.getEpochSecond());
    }
}
