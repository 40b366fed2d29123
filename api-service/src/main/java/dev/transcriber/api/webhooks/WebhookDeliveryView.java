package dev.transcriber.api.webhooks;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.webhooks.WebhookDelivery;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A webhook delivery: its event, URL, state ({@code pending}, {@code delivered}, {@code gave_up}, {@code disabled}),
 * attempts with their status codes, and the next try. The operator's views also name the job (or batch) and the key.
 */
record WebhookDeliveryView(
        String id,
        String object,
        String event_type,
        String url,
        String status,
        int attempts,
        Integer last_status_code,
        String last_error,
        Long next_attempt_at,
        long created_at,
        Long delivered_at,
        JsonNode attempt_log,
        @JsonInclude(JsonInclude.Include.NON_NULL) String job_id,
        @JsonInclude(JsonInclude.Include.NON_NULL) String batch_id,
        @JsonInclude(JsonInclude.Include.NON_NULL) String key_id) {

    static WebhookDeliveryView of(WebhookDelivery delivery, Scope scope, JsonMapper json) {
        boolean operator = scope.everyKey();
        return new WebhookDeliveryView(
                delivery.id(),
                "webhook_delivery",
                delivery.eventType(),
                delivery.url(),
                delivery.state().name().toLowerCase(Locale.ROOT),
                delivery.attempts(),
                delivery.lastStatus(),
                delivery.lastError(),
                epoch(delivery.nextAttemptAt()),
                delivery.createdAt().getEpochSecond(),
                epoch(delivery.deliveredAt()),
                json.readTree(delivery.attemptLog()),
                operator && delivery.jobId() != null ? delivery.jobId().toString() : null,
                operator && delivery.batchId() != null ? delivery.batchId().toString() : null,
                scope.shownKey(delivery.apiKeyId()));
    }

    private static Long epoch(Instant at) {
        return at == null ? null : at.getEpochSecond();
    }

    /** Deliveries in OpenAI's list shape. */
    record Page(String object, List<WebhookDeliveryView> data) {
        static Page of(List<WebhookDeliveryView> data) {
            return new Page("list", data);
        }
    }
}
