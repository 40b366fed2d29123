package dev.transcriber.api.intake;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.store.ChunkingStrategy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code chunking_strategy} in the three spellings clients send: {@code auto}; a {@code server_vad} object as
 * {@code chunking_strategy[type]=server_vad}, {@code chunking_strategy[threshold]=0.5}, ... (the SDKs); or that object
 * as one JSON string. The object is checked as OpenAI's {@code VadConfig} is: {@code type} is {@code server_vad}, no
 * other keys than the three below, {@code threshold} between 0 and 1, the two durations whole milliseconds from 0 to
 * {@value #MAX_MS}.
 */
final class ChunkingStrategies {

    static final String PARAM = "chunking_strategy";

    /** The longest padding or silence accepted, in milliseconds: ten seconds. */
    static final int MAX_MS = 10_000;

    private static final List<String> KEYS = List.of("type", "prefix_padding_ms", "silence_duration_ms", "threshold");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ChunkingStrategies() {}

    /** The strategy the form asks for; null when it names none. */
    static ChunkingStrategy parse(AudioUpload upload) {
        String plain = upload.has(PARAM) ? upload.field(PARAM) : null;
        Map<String, List<String>> keyed = upload.withPrefix(PARAM + "[");
        if (plain != null && !keyed.isEmpty()) {
            throw invalid("Give 'chunking_strategy' either as one value or as 'chunking_strategy[...]' fields, not"
                    + " both.");
        }
        if (!keyed.isEmpty()) {
            Map<String, Object> object = new LinkedHashMap<>();
            keyed.forEach((name, values) -> {
                if (!name.endsWith("]")) {
                    throw unknownKey(name.substring(PARAM.length()));
                }
                String key = name.substring(PARAM.length() + 1, name.length() - 1);
                object.put(key, upload.field(name));
            });
            return server(object);
        }
        if (plain == null) {
            return null;
        }
        if (plain.equals(ChunkingStrategy.AUTO)) {
            return ChunkingStrategy.auto();
        }
        if (plain.startsWith("{")) {
            return server(jsonObject(plain));
        }
        throw invalid("Invalid value for 'chunking_strategy': expected 'auto' or a server_vad object, got '"
                + AudioUpload.abbreviated(plain) + "'.");
    }

    private static Map<String, Object> jsonObject(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JacksonException e) {
            throw invalid("Invalid value for 'chunking_strategy': not valid JSON.");
        }
        if (node == null || !node.isObject()) {
            throw invalid("Invalid value for 'chunking_strategy': expected 'auto' or a server_vad object.");
        }
        Map<String, Object> object = new LinkedHashMap<>();
        for (String key : node.propertyNames()) {
            JsonNode value = node.get(key);
            object.put(key, value.isNull() ? null : value.isString() ? value.asString() : value);
        }
        return object;
    }

    private static ChunkingStrategy server(Map<String, Object> object) {
        for (String key : object.keySet()) {
            if (!KEYS.contains(key)) {
                throw unknownKey(key);
            }
        }
        Object type = object.get("type");
        if (type == null) {
            throw invalid("Missing required parameter: 'chunking_strategy.type'.");
        }
        if (!ChunkingStrategy.SERVER_VAD.equals(type instanceof JsonNode node ? node.toString() : type)) {
            throw invalid("Invalid value for 'chunking_strategy.type': '"
                    + AudioUpload.abbreviated(String.valueOf(type)) + "'. Supported values are: 'server_vad'.");
        }
        return new ChunkingStrategy(
                ChunkingStrategy.SERVER_VAD,
                milliseconds(object.get("prefix_padding_ms"), "prefix_padding_ms"),
                milliseconds(object.get("silence_duration_ms"), "silence_duration_ms"),
                threshold(object.get("threshold")));
    }

    private static Integer milliseconds(Object value, String key) {
        if (value == null) {
            return null;
        }
        String text = value instanceof JsonNode node && node.isIntegralNumber() ? node.asString() : value.toString();
        if (value instanceof String || value instanceof JsonNode n && n.isIntegralNumber()) {
            if (text.matches("\\d{1,9}") && Integer.parseInt(text) <= MAX_MS) {
                return Integer.parseInt(text);
            }
        }
        throw invalid("Invalid value for 'chunking_strategy." + key + "': expected a whole number of milliseconds from"
                + " 0 to " + MAX_MS + ", got '" + AudioUpload.abbreviated(text) + "'.");
    }

    private static Double threshold(Object value) {
        if (value == null) {
            return null;
        }
        String text = value instanceof JsonNode node ? node.toString() : value.toString();
        if (value instanceof String || value instanceof JsonNode n && n.isNumber()) {
            try {
                double t = Double.parseDouble(text);
                if (t >= 0 && t <= 1) {
                    return t;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw invalid("Invalid value for 'chunking_strategy.threshold': expected a number between 0 and 1, got '"
                + AudioUpload.abbreviated(text) + "'.");
    }

    private static ApiException unknownKey(String key) {
        return invalid("Invalid 'chunking_strategy': unknown parameter '" + AudioUpload.abbreviated(key)
                + "'. Allowed keys are 'type', 'prefix_padding_ms', 'silence_duration_ms' and 'threshold'.");
    }

    private static ApiException invalid(String message) {
        return ApiException.invalidRequest(message, PARAM);
    }
}
