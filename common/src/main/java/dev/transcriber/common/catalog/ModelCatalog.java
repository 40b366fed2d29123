package dev.transcriber.common.catalog;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The transcription models the gateway knows, under both spellings the seeds use: the bare OpenAI id
 * ({@code gpt-4o-transcribe}) and the provider-prefixed one ({@code openai/gpt-4o-transcribe}). An optional
 * allow-list ({@code transcriber.models.allowed}) narrows what is served.
 */
public final class ModelCatalog {

    public static final String PROVIDER_PREFIX = "openai/";

    private static final Set<String> GPT4O_FORMATS = Set.of("json", "text");
    private static final Set<String> WHISPER_FORMATS = Set.of("json", "text", "srt", "vtt", "verbose_json");
    private static final Set<String> DIARIZE_FORMATS = Set.of("json", "text", "diarized_json");

    private final List<CatalogModel> models;

    public ModelCatalog(List<CatalogModel> models) {
        this.models = List.copyOf(models);
    }

    public static ModelCatalog standard() {
        return new ModelCatalog(List.of(
                new CatalogModel(
                        "gpt-4o-transcribe",
                        "gpt-4o-transcribe",
                        CatalogModel.Billing.TOKENS,
                        GPT4O_FORMATS,
                        Duration.ofSeconds(1400),
                        25 * CatalogModel.MB,
                        false,
                        true,
                        false),
                new CatalogModel(
                        "gpt-4o-mini-transcribe",
                        "gpt-4o-mini-transcribe",
                        CatalogModel.Billing.TOKENS,
                        GPT4O_FORMATS,
                        Duration.ofSeconds(1400),
                        25 * CatalogModel.MB,
                        false,
                        true,
                        false),
                new CatalogModel(
                        "whisper-1",
                        "whisper-1",
                        CatalogModel.Billing.DURATION,
                        WHISPER_FORMATS,
                        null,
                        25 * CatalogModel.MB,
                        true,
                        false,
                        false),
                new CatalogModel(
                        "gpt-4o-transcribe-diarize",
                        "gpt-4o-transcribe-diarize",
                        CatalogModel.Billing.TOKENS,
                        DIARIZE_FORMATS,
                        Duration.ofSeconds(1400),
                        25 * CatalogModel.MB,
                        false,
                        false,
                        true)));
    }

    /** The standard catalog narrowed to {@code allowed} (in either spelling); empty means everything. */
    public static ModelCatalog standard(List<String> allowed) {
        ModelCatalog all = standard();
        if (allowed == null || allowed.stream().allMatch(String::isBlank)) {
            return all;
        }
        List<CatalogModel> kept = allowed.stream()
                .filter(id -> !id.isBlank())
                .map(id -> all.resolve(id.trim())
                        .orElseThrow(() -> new IllegalArgumentException("transcriber.models.allowed names an unknown"
                                + " model '" + id + "'; known: "
                                + all.models().stream().map(CatalogModel::id).toList())))
                .distinct()
                .toList();
        return new ModelCatalog(kept);
    }

    /** The models whose upstream translates (OpenAI documents only {@code whisper-1} for translations). */
    public List<CatalogModel> translators() {
        return models.stream().filter(CatalogModel::translates).toList();
    }

    public List<CatalogModel> models() {
        return models;
    }

    /** The model a requested id names, in either spelling. */
    public Optional<CatalogModel> resolve(String requested) {
        if (requested == null) {
            return Optional.empty();
        }
        String id = requested.startsWith(PROVIDER_PREFIX) ? requested.substring(PROVIDER_PREFIX.length()) : requested;
        return models.stream().filter(m -> m.id().equals(id)).findFirst();
    }
}
