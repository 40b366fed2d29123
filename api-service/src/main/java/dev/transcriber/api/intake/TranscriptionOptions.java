package dev.transcriber.api.intake;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ChunkingStrategy;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.TimestampGranularity;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;

/** Checks the form fields of a transcription request, in the order OpenAI reports problems. */
public final class TranscriptionOptions {

    private TranscriptionOptions() {}

    /** {@code maxPromptLength}: {@code transcriber.api.max-prompt-length}, in characters. */
    public static JobSpec validate(AudioUpload upload, ModelCatalog catalog, int maxPromptLength) {
        checkAudio(upload);
        return validateFields(upload, catalog, maxPromptLength);
    }

    private static void checkAudio(AudioUpload upload) {
        if (upload.audio().isEmpty()) {
            throw ApiException.missingParameter("file");
        }
        if (upload.audio().get().sizeBytes() == 0) {
            throw ApiException.invalidRequest("The audio file is empty.", "file");
        }
    }

    /** {@code task}: {@code transcribe} (the default) or {@code translate} (into English, as OpenAI's translations). */
    public static JobTask task(String value) {
        if (value == null) {
            return JobTask.TRANSCRIBE;
        }
        return JobTask.fromWireName(value)
                .orElseThrow(() -> ApiException.invalidRequest(
                        "Invalid value for 'task': '" + value + "'. Supported values are: 'transcribe' and"
                                + " 'translate'.",
                        "task"));
    }

    /** A translation's options: a model that translates, and the fields OpenAI's translations take. */
    private static JobSpec translation(AudioUpload upload, ModelCatalog catalog, int maxPromptLength) {
        String model = upload.field("model");
        if (model == null) {
            throw ApiException.missingParameter("model");
        }
        CatalogModel served = catalog.resolve(model)
                .orElseThrow(() -> ApiException.invalidRequest(unsupportedTranslationModel(model, catalog), "model"));
        if (!served.translates()) {
            throw ApiException.unsupportedValue(
                    "model", "Model '" + model + "' does not support translations. " + translators(catalog));
        }
        ResponseFormat format = responseFormat(upload.field("response_format"));
        if (format == ResponseFormat.DIARIZED_JSON) { // not a translation's format at all (OpenAI's enum has no such)
            throw ApiException.invalidRequest(
                    "Invalid value for 'response_format': 'diarized_json'. Supported values are: "
                            + Arrays.stream(ResponseFormat.values())
                                    .filter(f -> f != ResponseFormat.DIARIZED_JSON)
                                    .map(f -> "'" + f.wireName() + "'")
                                    .collect(Collectors.joining(", "))
                            + ".",
                    "response_format");
        }
        checkCompatible(format, model, catalog);
        return new JobSpec(
                model,
                format.wireName(),
                null,
                prompt(upload.field("prompt"), maxPromptLength),
                temperature(upload.field("temperature")),
                null,
                JobTask.TRANSLATE);
    }

    private static void refuseForTranslation(AudioUpload upload, String field, String why) {
        if (upload.field(field) != null) {
            throw ApiException.invalidRequest("'" + field + "' is not supported with task 'translate'. " + why, field);
        }
    }

    static String unsupportedTranslationModel(String model, ModelCatalog catalog) {
        return "Unsupported translation model '" + model + "'. " + translators(catalog);
    }

    private static String translators(ModelCatalog catalog) {
        var ids = catalog.translators().stream().map(m -> "'" + m.id() + "'").toList();
        return switch (ids.size()) {
            case 0 -> "No model served here supports translations.";
            case 1 -> "Only " + ids.get(0) + " supports translations.";
            default ->
                "Only " + String.join(", ", ids.subList(0, ids.size() - 1)) + " and " + ids.getLast()
                        + " support translations.";
        };
    }

    /**
     * The form of {@code POST /v1/audio/translations}: {@code file}, {@code model}, {@code prompt},
     * {@code response_format} and {@code temperature}. Other fields are ignored, as the transcription endpoint
     * ignores fields it does not know ({@code language}, {@code timestamp_granularities[]} and {@code stream} are not
     * translation fields).
     */
    public static JobSpec validateTranslation(AudioUpload upload, ModelCatalog catalog, int maxPromptLength) {
        checkAudio(upload);
        return translation(upload, catalog, maxPromptLength);
    }

    /** A job's form ({@code /v1/transcription_jobs}): the sync endpoint's fields and the job's {@code task}. */
    public static JobSpec validateJob(AudioUpload upload, ModelCatalog catalog, int maxPromptLength) {
        checkAudio(upload);
        return validateJobFields(upload, catalog, maxPromptLength);
    }

    /**
     * A job's options other than the audio itself (its audio from a URL or an upload; a batch's options): with
     * {@code task: translate}, a translation's. This is the gateway's own API, not OpenAI's form, so options a
     * translation cannot honour are refused rather than ignored.
     */
    public static JobSpec validateJobFields(AudioUpload upload, ModelCatalog catalog, int maxPromptLength) {
        if (upload.field("model") != null && task(upload.field("task")) == JobTask.TRANSLATE) {
            refuseForTranslation(upload, "language", "Translations always produce English text.");
            refuseForTranslation(
                    upload, "timestamp_granularities[]", "A translation's verbose_json has segments only.");
            refuseForTranslation(upload, "timestamp_granularities", "A translation's verbose_json has segments only.");
            return translation(upload, catalog, maxPromptLength);
        }
        JobSpec spec = validateFields(upload, catalog, maxPromptLength);
        task(upload.field("task"));
        return spec;
    }

    /** The options other than the audio itself (for jobs whose audio comes from a URL or an upload). */
    public static JobSpec validateFields(AudioUpload upload, ModelCatalog catalog, int maxPromptLength) {
        String model = upload.field("model");
        if (model == null) {
            throw ApiException.missingParameter("model");
        }
        if (catalog.resolve(model).isEmpty()) {
            throw ApiException.invalidRequest(unsupportedModel(model, catalog), "model");
        }
        ResponseFormat format = responseFormat(upload.field("response_format"));
        checkCompatible(format, model, catalog);
        stream(upload);
        Set<TimestampGranularity> granularities = granularities(upload);
        if (granularities != null && format != ResponseFormat.VERBOSE_JSON) {
            throw ApiException.invalidRequest(
                    "`response_format` must be `verbose_json` if `timestamp_granularities[]` is provided",
                    "timestamp_granularities[]");
        }
        CatalogModel served = catalog.resolve(model).orElseThrow();
        boolean logprobs = logprobs(upload, format, model, served, catalog);
        ChunkingStrategy chunking = ChunkingStrategies.parse(upload);
        String prompt = prompt(upload.field("prompt"), maxPromptLength);
        if (served.diarizes()) {
            diarizationRules(upload, prompt, logprobs, granularities, chunking);
        }
        KnownSpeakers.parse(upload, model, served); // refused here, in order; stored by whoever queues the job

        return new JobSpec(
                model,
                format.wireName(),
                language(upload.field("language")),
                prompt,
                temperature(upload.field("temperature")),
                granularities,
                JobTask.TRANSCRIBE,
                logprobs,
                chunking,
                List.of());
    }

    static final String INCLUDE = "include[]";

    /**
     * The known speakers' clips, decoded (empty when none): stored by whoever queues the job, which puts their keys on
     * the job. Call after {@link #validate}.
     */
    public static List<KnownSpeakers.Clip> knownSpeakers(AudioUpload upload, ModelCatalog catalog) {
        String model = upload.field("model");
        return KnownSpeakers.parse(upload, model, catalog.resolve(model).orElseThrow());
    }

    /**
     * {@code include[]}: only {@code logprobs} is known; it needs a model whose upstream gives token logprobs and
     * {@code response_format=json} (where they are rendered). True when it was asked for.
     */
    static boolean logprobs(
            AudioUpload upload, ResponseFormat format, String model, CatalogModel served, ModelCatalog catalog) {
        List<String> values = upload.list("include").stream()
                .map(String::trim)
                .filter(v -> !v.isEmpty())
                .toList();
        for (String value : values) {
            if (!value.equals("logprobs")) {
                throw ApiException.invalidRequest(
                        "Invalid value for 'include[]': '" + (value.length() <= 64 ? value : value.substring(0, 64))
                                + "'. Supported values are: 'logprobs'.",
                        INCLUDE);
            }
        }
        if (values.isEmpty()) {
            return false;
        }
        if (!served.givesLogprobs()) {
            List<String> giving = catalog.models().stream()
                    .filter(CatalogModel::givesLogprobs)
                    .map(m -> "'" + m.id() + "'")
                    .toList();
            throw ApiException.unsupportedValue(
                    INCLUDE,
                    "include[]=logprobs is not supported with model '" + model + "'."
                            + (giving.isEmpty() ? "" : " Use " + String.join(" or ", giving) + " instead."));
        }
        if (format != ResponseFormat.JSON) {
            throw ApiException.unsupportedValue(
                    INCLUDE,
                    "include[]=logprobs is only supported with response_format 'json', not '" + format.wireName()
                            + "'.");
        }
        return true;
    }

    /**
     * What a diarization model refuses, as OpenAI does: a prompt, logprobs, timestamp granularities; and it needs a
     * {@code chunking_strategy}.
     */
    static void diarizationRules(
            AudioUpload upload,
            String prompt,
            boolean logprobs,
            Set<TimestampGranularity> granularities,
            ChunkingStrategy chunking) {
        if (prompt != null) {
            throw ApiException.invalidRequest("Prompt is not supported for diarization models", "prompt");
        }
        if (logprobs) {
            throw ApiException.unsupportedValue(INCLUDE, "include[]=logprobs is not supported for diarization models");
        }
        if (granularities != null) {
            throw ApiException.invalidRequest(
                    "timestamp_granularities[] is not supported for diarization models", "timestamp_granularities[]");
        }
        if (chunking == null) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST,
                    "invalid_request_error",
                    "invalid_value",
                    ChunkingStrategies.PARAM,
                    "chunking_strategy is required for diarization models");
        }
    }

    /**
     * {@code prompt}, at most {@code max} characters (code points). OpenAI's models read the last 224 tokens of a
     * prompt; a longer one is refused here rather than cut silently. The message is OpenAI's for an over-long string.
     */
    static String prompt(String value, int max) {
        if (value != null) {
            int length = value.codePointCount(0, value.length());
            if (length > max) {
                throw ApiException.invalidRequest(
                        "Invalid 'prompt': string too long. Expected a string with maximum length " + max
                                + ", but got a string with length " + length + " instead.",
                        "prompt");
            }
        }
        return value;
    }

    /** The ISO-639-1 codes (two letters), as OpenAI requires them for {@code language}. */
    private static final Set<String> ISO_639_1 = Set.of(Locale.getISOLanguages());

    /** {@code language}: an ISO-639-1 code (any case, passed on in lower case), or absent. */
    static String language(String value) {
        if (value == null) {
            return null;
        }
        String code = value.toLowerCase(Locale.ROOT);
        if (code.length() != 2 || !ISO_639_1.contains(code)) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST,
                    "invalid_request_error",
                    "invalid_language_format",
                    "language",
                    "Invalid language '" + value + "'. Language parameter must be specified in ISO-639-1 format.");
        }
        return code;
    }

    /** OpenAI's refusal of a timestamp format for a model whose upstream gives no timestamps. */
    public static void checkCompatible(ResponseFormat format, String model, ModelCatalog catalog) {
        CatalogModel served = catalog.resolve(model).orElseThrow();
        if (!served.upstreamFormats().contains(format.wireName())) {
            throw ApiException.unsupportedValue(
                    "response_format",
                    "response_format '" + format.wireName() + "' is not compatible with model '" + model
                            + "'. Use 'json' or 'text' instead.");
        }
    }

    /** {@code stream}: true, false, or absent. */
    public static boolean stream(AudioUpload upload) {
        String value = upload.field("stream");
        if (value == null || value.equalsIgnoreCase("false")) {
            return false;
        }
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        throw ApiException.invalidRequest(
                "Invalid value for 'stream': expected a boolean, got '" + value + "'.", "stream");
    }

    /** {@code timestamp_granularities[]} (or without brackets), each value on its own or comma-joined. */
    private static Set<TimestampGranularity> granularities(AudioUpload upload) {
        List<String> values = upload.list("timestamp_granularities").stream()
                .filter(v -> !v.isBlank())
                .toList();
        return values.isEmpty() ? null : granularities(String.join(",", values));
    }

    /** {@code timestamp_granularities[]}, comma-joined; null when not given. */
    public static Set<TimestampGranularity> granularities(String value) {
        if (value == null) {
            return null;
        }
        Set<TimestampGranularity> granularities = EnumSet.noneOf(TimestampGranularity.class);
        for (String name : value.split(",")) {
            String trimmed = name.trim();
            granularities.add(TimestampGranularity.fromWireName(trimmed)
                    .orElseThrow(() -> ApiException.invalidRequest(
                            "Invalid value for 'timestamp_granularities[]': '" + trimmed
                                    + "'. Supported values are: 'word' and 'segment'.",
                            "timestamp_granularities[]")));
        }
        return granularities;
    }

    public static ResponseFormat responseFormat(String value) {
        if (value == null) {
            return ResponseFormat.JSON;
        }
        ResponseFormat format = ResponseFormat.fromWireName(value)
                .orElseThrow(() -> ApiException.invalidRequest(
                        "Invalid value for 'response_format': '" + value + "'. Supported values are: "
                                + Arrays.stream(ResponseFormat.values())
                                        .map(f -> "'" + f.wireName() + "'")
                                        .collect(Collectors.joining(", "))
                                + ".",
                        "response_format"));
        return format;
    }

    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private static Double temperature(String value) {
        if (value == null) {
            return null;
        }
        // a decimal number, as a form or JSON sends it: not Java's own forms (0.5f, 1d, 0x1p-1, NaN)
        String number = value.strip();
        if (DECIMAL.matcher(number).matches()) {
            double t = Double.parseDouble(number);
            if (t >= 0 && t <= 1) {
                return t;
            }
        }
        throw ApiException.invalidRequest(
                "Invalid value for 'temperature': expected a number between 0 and 1, got '" + value + "'.",
                "temperature");
    }

    /** Seed 000's text when one model is served, the same sentence listing them all otherwise. */
    static String unsupportedModel(String model, ModelCatalog catalog) {
        var ids = catalog.models().stream().map(m -> "'" + m.id() + "'").toList();
        String served = ids.size() == 1
                ? "Only " + ids.get(0) + " is supported."
                : "Only " + String.join(", ", ids.subList(0, ids.size() - 1)) + " and " + ids.getLast()
                        + " are supported.";
        return "Unsupported transcription model '" + model + "'. " + served;
    }
}
