package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.intake.AudioUpload;
import dev.transcriber.api.intake.TranscriptionOptions;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.net.DisallowedAddressException;
import dev.transcriber.common.store.JobSpec;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** The fields every submission (a job, a batch) validates the same way: options, metadata and the webhook URL. */
public final class JobFields {

    static final int MAX_METADATA = 16;

    private JobFields() {}

    /** The transcription options a JSON submission carries, a job's or a batch's (their JSON names). */
    public interface Options {
        String model();

        String language();

        String prompt();

        String response_format();

        Double temperature();

        List<String> timestamp_granularities();

        /** {@code transcribe} (null: the default) or {@code translate}. */
        String task();

        /** {@code "auto"}, or an object ({@code {"type": "server_vad", ...}}), as OpenAI takes it; null: none. */
        JsonNode chunking_strategy();

        /** {@code ["logprobs"]} asks for the tokens' log probabilities; null: nothing. */
        List<String> include();
    }

    /** The options of a JSON submission, validated as the sync endpoint's form fields are. */
    public static JobSpec spec(Options options, ModelCatalog catalog, int maxPromptLength) {
        Map<String, String> fields = new LinkedHashMap<>();
        put(fields, "model", options.model());
        put(fields, "language", options.language());
        put(fields, "prompt", options.prompt());
        put(fields, "response_format", options.response_format());
        put(
                fields,
                "temperature",
                options.temperature() == null ? null : options.temperature().toString());
        List<String> granularities = options.timestamp_granularities();
        put(fields, "timestamp_granularities[]", granularities == null ? null : String.join(",", granularities));
        put(fields, "task", options.task());
        JsonNode chunking = options.chunking_strategy();
        if (chunking != null && !chunking.isNull()) { // a form sends the object as its JSON text
            fields.put("chunking_strategy", chunking.isString() ? chunking.asString() : chunking.toString());
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        fields.forEach((name, value) -> values.put(name, List.of(value)));
        if (options.include() != null) {
            values.put(
                    "include[]",
                    options.include().stream().map(v -> v == null ? "" : v).toList());
        }
        return TranscriptionOptions.validateJobFields(
                new AudioUpload(values, Optional.empty(), null), catalog, maxPromptLength);
    }

    /** JSON {@code metadata}: at most 16 pairs, keys up to 64 characters, values up to 512. */
    public static Map<String, String> metadata(Map<String, String> metadata) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (metadata != null) {
            metadata.forEach((k, v) -> fields.put("metadata[" + k + "]", v == null ? "" : v));
        }
        return metadataFields(fields);
    }

    /** Form fields {@code metadata[key]}: at most 16, keys up to 64 characters, values up to 512. */
    public static Map<String, String> metadataFields(Map<String, String> fields) {
        Map<String, String> metadata = new LinkedHashMap<>();
        fields.forEach((name, value) -> {
            if (name.startsWith("metadata[") && name.endsWith("]")) {
                String key = name.substring("metadata[".length(), name.length() - 1);
                if (key.isEmpty() || key.length() > 64 || value.length() > 512) {
                    throw ApiException.invalidRequest(
                            "Invalid metadata: keys are 1 to 64 characters and values at most 512.", "metadata");
                }
                metadata.put(key, value);
            }
        });
        if (metadata.size() > MAX_METADATA) {
            throw ApiException.invalidRequest(
                    "Invalid metadata: at most " + MAX_METADATA + " pairs, got " + metadata.size() + ".", "metadata");
        }
        return metadata;
    }

    /** An http(s) URL the gateway may call (checked again at each delivery: DNS can change). */
    public static String webhookUrl(String value, AddressPolicy addresses) {
        if (value == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidRequest(
                    "Invalid value for 'webhook_url': expected an http or https URL, got '" + value + "'.",
                    "webhook_url");
        }
        try {
            addresses.check(uri);
        } catch (DisallowedAddressException e) {
            throw ApiException.invalidRequest(
                    "Invalid value for 'webhook_url': " + e.getMessage() + ".", "webhook_url");
        }
        return value;
    }

    static void put(Map<String, String> fields, String name, String value) {
        if (value != null) {
            fields.put(name, value);
        }
    }
}
