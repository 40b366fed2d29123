package dev.transcriber.api.batches;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.common.store.SkippedEntry;
import java.util.List;
import java.util.Map;

/**
 * A batch as {@code /v1/transcription_batches} shows it: its state, where its items came from, how many are in each
 * state, the audio seconds done and (estimated) remaining, and when it should complete at the pace so far. The operator's views
 * ({@code /admin/batches}) also name the batch's key ({@code key_id}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record BatchView(
        String id,
        String object,
        String status,
        String model,
        String response_format,
        Source source,
        Map<String, String> metadata,
        String webhook_url,
        boolean job_webhooks,
        boolean reuse,
        long created_at,
        Long expanded_at,
        Long finished_at,
        Counts counts,
        Audio audio_seconds,
        Long estimated_completion_at,
        List<SkippedEntry> skipped,
        Error error,
        String key_id,
        String task) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Source(String type, String feed_url) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Counts(int total, int queued, int running, int succeeded, int failed, int cancelled) {}

    /** Seconds of audio transcribed, and left: probed lengths, plus the average for items not probed yet. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Audio(double done, Double remaining) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Error(String code, String message) {}
}
