package dev.transcriber.common.webhooks;

import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns the end of a job that has a {@code webhook_url} into a pending delivery, in the transaction that ends the
 * job: the event cannot be lost, and is sent by whichever worker takes it. Thin payloads, as Standard Webhooks
 * suggests: the event type, when, and the job's id, status and where to fetch it.
 */
public class JobWebhooks {

    private final WebhookDeliveryRepository deliveries;
    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final Clock clock;

    public JobWebhooks(WebhookDeliveryRepository deliveries, JdbcClient jdbc, JsonMapper json, Clock clock) {
        this.deliveries = deliveries;
        this.jdbc = jdbc;
        this.json = json;
        this.clock = clock;
    }

    /** Call in the transaction that ended {@code job}. */
    public void jobEnded(TranscriptionJob job) {
        if (job.webhookUrl() == null || job.isPiece() || !job.state().isTerminal()) {
            return;
        }
        if (isDisabled(job.apiKeyId(), job.webhookUrl())) {
            return;
        }
        Instant now = clock.instant();
        String type = "transcription_job." + job.state().name().toLowerCase(Locale.ROOT);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", job.id().toString());
        data.put("object", "transcription_job");
        data.put("status", job.state().name().toLowerCase(Locale.ROOT));
        data.put("url", "/v1/transcription_jobs/" + job.id());
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("type", type);
        payload.put("timestamp", now.toString());
        payload.put("data", data);
        deliveries.save(WebhookDelivery.pending(
                "msg_" + UUID.randomUUID().toString().replace("-", ""),
                job.id().value(),
                job.apiKeyId(),
                job.webhookUrl(),
                type,
                json.writeValueAsString(payload),
                now));
    }

    /** Call in the transaction that ended {@code batch}: {@code transcription_batch.<completed|cancelled|failed>}. */
    public void batchEnded(TranscriptionBatch batch) {
        if (batch.webhookUrl() == null
                || !batch.state().isTerminal()
                || isDisabled(batch.apiKeyId(), batch.webhookUrl())) {
            return;
        }
        Instant now = clock.instant();
        String status = batch.state().name().toLowerCase(Locale.ROOT);
        String type = "transcription_batch." + status;
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", batch.id().toString());
        data.put("object", "transcription_batch");
        data.put("status", status);
        data.put("url", "/v1/transcription_batches/" + batch.id());
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("type", type);
        payload.put("timestamp", now.toString());
        payload.put("data", data);
        deliveries.save(WebhookDelivery.pendingForBatch(
                "msg_" + UUID.randomUUID().toString().replace("-", ""),
                batch.id(),
                batch.apiKeyId(),
                batch.webhookUrl(),
                type,
                json.writeValueAsString(payload),
                now));
    }

    public boolean isDisabled(UUID apiKeyId, String url) {
        return jdbc.sql("select count(*) from webhook_disabled_urls where api_key_id is not distinct from :key"
                                + " and url = :url")
                        .param("key", apiKeyId)
                        .param("url", url)
                        .query(Integer.class)
                        .single()
                > 0;
    }

    public void disable(UUID apiKeyId, String url) {
        jdbc.sql("insert into webhook_disabled_urls (api_key_id, url, disabled_at) values (:key, :url, :at)"
                        + " on conflict do nothing")
                .param("key", apiKeyId)
                .param("url", url)
                .param("at", java.sql.Timestamp.from(clock.instant()))
                .update();
    }
}
