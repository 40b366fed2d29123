package dev.transcriber.api.batches;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.api.jobs.JobFields;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A batch as submitted: options shared by every item, and the items from exactly one source: {@code items} (each an
 * {@code audio_url} or an {@code upload_id}), a podcast {@code feed_url}, or an {@code archive_upload_id}.
 * {@code job_webhooks} sends each item's own events to {@code webhook_url} too; {@code reuse} (default true) lets an
 * item take an earlier transcript of the same audio.
 */
record BatchRequest(
        String model,
        String language,
        String prompt,
        String response_format,
        Double temperature,
        List<String> timestamp_granularities,
        String webhook_url,
        Boolean job_webhooks,
        Map<String, String> metadata,
        Boolean reuse,
        List<Item> items,
        String feed_url,
        String archive_upload_id,
        String task,
        // left out of the request as written when not sent: a JSON job's idempotency digest is taken over it, and
        // must be what it was before these fields were known
        @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode chunking_strategy,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<String> include)
        implements JobFields.Options {

    record Item(String audio_url, String upload_id, Map<String, String> metadata) {}
}
