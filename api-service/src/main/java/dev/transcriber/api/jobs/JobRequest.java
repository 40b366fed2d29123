package dev.transcriber.api.jobs;

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
        JsonNode chunking_strategy,
        List<String> include)
        implements JobFields.Options {}
