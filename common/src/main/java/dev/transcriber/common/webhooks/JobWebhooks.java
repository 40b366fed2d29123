package dev.transcriber.common.webhooks;

import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
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
 * job: the event cannot be lost, and is sent by whichever worker takes it, at once (the webhook senders are notified
 * in the same transaction). Thin payloads, as Standard Webhooks
 * suggests: the event type, when, and the job's id, status and where to fetch it. The delivery keeps the trace it
 * was written in ({@code traceparent}), which its POSTs continue.
 */
public class JobWebhooks {

    private final WebhookDeliveryRepository deliveries;
    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final Clock clock;
    private final Traces traces;
    private final Wakeups wakeups;

    public JobWebhooks(
            WebhookDeliveryRepository deliveries,
            JdbcClient jdbc,
            JsonMapper json,
            Clock clock,
            Traces traces,
            Wakeups wakeups) {
        this.traces = traces;
        this.wakeups = wakeups;
        this.deliveries = deliveries;
        this.jdbc = jdbc;
        this.json = json;
        this.clock = clock;
    }

    /** Call in the transaction that ended {@code job}; its deliveries continue {@code traceparent} (may be null). */
    public void jobEnded(EndedJob job, String traceparent) {
        if (job.webhookUrl() == null || job.piece() || !job.state().isTerminal()) {
            return;
        }
        pending(
                job.id().value(),
                null,
                job.apiKeyId(),
                job.webhookUrl(),
                "transcription_job",
                job.state().name(),
                "/v1/transcription_jobs/",
                traceparent);
    }

    /** Call in the transaction that ended {@code batch}: {@code transcription_batch.<completed|cancelled|failed>}. */
    public void batchEnded(TranscriptionBatch batch) {
        if (batch.webhookUrl() == null || !batch.state().isTerminal()) {
            return;
        }
        pending(
                null,
                batch.id(),
                batch.apiKeyId(),
                batch.webhookUrl(),
                "transcription_batch",
                batch.state().name(),
                "/v1/transcription_batches/",
                traces.current());
    }

    /** A delivery of {@code <object>.<state>} about a job or a batch, unless its URL was disabled for the key. */
    private void pending(
            UUID jobId,
            UUID batchId,
            UUID apiKeyId,
            String url,
            String object,
            String state,
            String path,
            String traceparent) {
        if (isDisabled(apiKeyId, url)) {
            return;
        }
        Instant now = clock.instant();
        UUID id = jobId != null ? jobId : batchId;
        String status = state.toLowerCase(Locale.ROOT);
        String type = object + "." + status;
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", id.toString());
        data.put("object", object);
        data.put("status", status);
        data.put("url", path + id);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("type", type);
        payload.put("timestamp", now.toString());
        payload.put("data", data);
        deliveries.save(WebhookDelivery.pending(
                "msg_" + UUID.randomUUID().toString().replace("-", ""),
                jobId,
                batchId,
                apiKeyId,
                url,
                type,
                json.writeValueAsString(payload),
                now,
                traceparent));
        wakeups.notify(Channel.WEBHOOKS);
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
