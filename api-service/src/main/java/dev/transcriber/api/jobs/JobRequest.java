package dev.transcriber.api.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A job submitted as JSON: the sync endpoint's options, and the audio from exactly one of {@code audio_url}
 * (fetched by a worker) or {@code upload_id} (a presigned upload).
 */
public record JobRequest(
        String model,
        String audio_url,
        String upload_id,
        String language,
        String prompt,
        String response_format,
        Double temperature,
        List<String> timestamp_granularities,
        String webhook_url,
        Map<String, String> metadata,
        String task,
        // left out of the request as written when not sent: a JSON job's idempotency digest is taken over it, and
        // must be what it was before these fields were known
        @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode chunking_strategy,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<String> include)
        implements JobFields.Options {}
