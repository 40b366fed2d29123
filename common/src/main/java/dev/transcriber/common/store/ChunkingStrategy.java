package dev.transcriber.common.store;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenAI's {@code chunking_strategy}: {@code auto}, or a {@code server_vad} configuration whose unset keys are left to
 * the upstream's defaults (300 ms of padding, 200 ms of silence, threshold 0.5). Kept in a job row as the JSON the
 * API takes ({@code "auto"} or the object).
 */
public record ChunkingStrategy(String type, Integer prefixPaddingMs, Integer silenceDurationMs, Double threshold) {

    public static final String AUTO = "auto";
    public static final String SERVER_VAD = "server_vad";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static ChunkingStrategy auto() {
        return new ChunkingStrategy(AUTO, null, null, null);
    }

    public boolean isAuto() {
        return AUTO.equals(type);
    }

    /**
     * The multipart fields the SDKs send for it: {@code chunking_strategy=auto}, or one
     * {@code chunking_strategy[key]} per key that is set, in the SDKs' order.
     */
    public Map<String, String> formFields() {
        Map<String, String> fields = new LinkedHashMap<>();
        if (isAuto()) {
            fields.put("chunking_strategy", AUTO);
            return fields;
        }
        fields.put("chunking_strategy[type]", type);
        if (prefixPaddingMs != null) {
            fields.put("chunking_strategy[prefix_padding_ms]", prefixPaddingMs.toString());
        }
        if (silenceDurationMs != null) {
            fields.put("chunking_strategy[silence_duration_ms]", silenceDurationMs.toString());
        }
        if (threshold != null) {
            fields.put("chunking_strategy[threshold]", threshold.toString());
        }
        return fields;
    }

    /** As kept in a job row. */
    public String toJson() {
        if (isAuto()) {
            return JSON.writeValueAsString(AUTO);
        }
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("type", type);
        if (prefixPaddingMs != null) {
            object.put("prefix_padding_ms", prefixPaddingMs);
        }
        if (silenceDurationMs != null) {
            object.put("silence_duration_ms", silenceDurationMs);
        }
        if (threshold != null) {
            object.put("threshold", threshold);
        }
        return JSON.writeValueAsString(object);
    }

    /** From a job row (written by {@link #toJson}); null stays null. */
    public static ChunkingStrategy fromJson(String stored) {
        if (stored == null) {
            return null;
        }
        JsonNode node = JSON.readTree(stored);
        if (node.isString()) {
            return auto();
        }
        return new ChunkingStrategy(
                node.path("type").asString(),
                node.hasNonNull("prefix_padding_ms")
                        ? node.get("prefix_padding_ms").asInt()
                        : null,
                node.hasNonNull("silence_duration_ms")
                        ? node.get("silence_duration_ms").asInt()
                        : null,
                node.hasNonNull("threshold") ? node.get("threshold").asDouble() : null);
    }
}
