package dev.transcriber.api.usage;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The ledger's totals in OpenAI's list shape, one row per model or per day (UTC) as {@code group_by} says: a caller's
 * rows are {@link Bucket}s, the operator's {@link KeyBucket}s (per key as well).
 */
record UsageReport<R>(String object, String group_by, List<R> data) {

    static <R> UsageReport<R> of(String groupBy, List<R> data) {
        return new UsageReport<>("list", groupBy, data);
    }

    /** A caller's totals for one model or one day: the row names only the one it is grouped by. */
    record Bucket(
            @JsonInclude(JsonInclude.Include.NON_NULL) String model,
            @JsonInclude(JsonInclude.Include.NON_NULL) String day,
            long requests,
            double audio_seconds,
            double billed_seconds,
            long input_tokens,
            long output_tokens,
            long audio_tokens,
            long text_tokens) {}

    /** The operator's totals for one key and one model or day; {@code api_key_id} is null for a job of no key. */
    record KeyBucket(
            @JsonInclude(JsonInclude.Include.NON_NULL) String model,
            @JsonInclude(JsonInclude.Include.NON_NULL) String day,
            String api_key_id,
            long requests,
            double audio_seconds,
            double billed_seconds,
            long input_tokens,
            long output_tokens,
            long audio_tokens,
            long text_tokens) {}
}
