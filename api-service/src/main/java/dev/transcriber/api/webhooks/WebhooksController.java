package dev.transcriber.api.webhooks;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.jobs.JobQueries;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.webhooks.WebhookDelivery;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import dev.transcriber.common.webhooks.WebhookSignature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job's webhook deliveries (attempts, status codes, next try), redelivery of its latest one (the same message,
 * the same {@code webhook-id}), and the rotation of the calling key's signing secret.
 */
@RestController
class WebhooksController {

    /** How long the previous secret keeps signing after a rotation. */
    static final Duration ROTATION_OVERLAP = Duration.ofHours(24);

    private final JobQueries jobs;
    private final WebhookDeliveryRepository deliveries;
    private final ApiKeyRepository keys;
    private final JsonMapper json;
    private final Clock clock;

    WebhooksController(
            JobQueries jobs,
            WebhookDeliveryRepository deliveries,
            ApiKeyRepository keys,
            JsonMapper json,
            Clock clock) {
        this.jobs = jobs;
        this.deliveries = deliveries;
        this.keys = keys;
        this.json = json;
        this.clock = clock;
    }

    @GetMapping("/v1/transcription_jobs/{id}/webhook_deliveries")
    @Transactional(readOnly = true)
    Map<String, Object> list(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        TranscriptionJob job = jobs.owned(JobQueries.parseId(id), caller);
        List<Map<String, Object>> data = deliveries
                .findByJobIdOrderByCreatedAt(job.id().value())
                .stream()
                .map(this::view)
                .toList();
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", data);
        return list;
    }

    @PostMapping("/v1/transcription_jobs/{id}/webhook_deliveries/redeliver")
    @Transactional
    Map<String, Object> redeliver(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        JobId jobId = JobQueries.parseId(id);
        jobs.owned(jobId, caller);
        List<WebhookDelivery> all = deliveries.findByJobIdOrderByCreatedAt(jobId.value());
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
        return view(latest);
    }

    @PostMapping("/v1/webhook_secret/rotate")
    @Transactional
    Map<String, Object> rotate(@RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        ApiKey key = keys.findById(caller.keyId()).orElseThrow();
        Instant until = clock.instant().plus(ROTATION_OVERLAP);
        key.rotateWebhookSecret(WebhookSignature.newSecret(), until);
        Map<String, Object> rotated = new LinkedHashMap<>();
        rotated.put("object", "webhook_secret");
        rotated.put("secret", key.webhookSecret());
        rotated.put("previous_signs_until", until.getEpochSecond());
        return rotated;
    }

    private Map<String, Object> view(WebhookDelivery delivery) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", delivery.id());
        view.put("object", "webhook_delivery");
        view.put("event_type", delivery.eventType());
        view.put("url", delivery.url());
        view.put("status", delivery.state().name().toLowerCase(Locale.ROOT));
        view.put("attempts", delivery.attempts());
        view.put("last_status_code", delivery.lastStatus());
        view.put("last_error", delivery.lastError());
        view.put(
                "next_attempt_at",
                delivery.nextAttemptAt() == null
                        ? null
                        : delivery.nextAttemptAt().getEpochSecond());
        view.put("created_at", delivery.createdAt().getEpochSecond());
        view.put(
                "delivered_at",
                delivery.deliveredAt() == null ? null : delivery.deliveredAt().getEpochSecond());
        view.put("attempt_log", json.readTree(delivery.attemptLog()));
        return view;
    }
}
