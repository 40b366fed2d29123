package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What a page of jobs is narrowed to, every part optional: a status, a model (either spelling), the key and the batch
 * the jobs belong to (the operator's filters), every {@code metadata} pair given, and the idempotency key a job was
 * submitted with.
 */
public record JobFilter(
        String status, String model, UUID keyId, UUID batchId, Map<String, String> metadata, String idempotencyKey) {

    public JobFilter {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** The {@code metadata[k]=v} pairs of a query string, in the order given. */
    static Map<String, String> metadata(Map<String, String> query) {
        Map<String, String> metadata = new LinkedHashMap<>();
        query.forEach((name, value) -> {
            if (name.startsWith("metadata[") && name.endsWith("]")) {
                metadata.put(name.substring("metadata[".length(), name.length() - 1), value);
            }
        });
        return metadata;
    }

    /** An id given as a filter ({@code key_id}, {@code batch_id}): a malformed one is the caller's mistake. */
    public static UUID id(String value, String param) {
        if (value == null) {
            return null;
        }
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidRequest(
                    "Invalid value for '" + param + "': '" + value + "' is not an id.", param);
        }
    }
}
