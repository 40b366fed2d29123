package dev.transcriber.common.catalog;

import java.util.List;
import java.util.Optional;

/**
 * The transcription models the gateway knows, under both spellings the seeds use: the bare OpenAI id
 * ({@code gpt-4o-transcribe}) and the provider-prefixed one ({@code openai/gpt-4o-transcribe}).
 */
public final class ModelCatalog {

    public static final String PROVIDER_PREFIX = "openai/";

    private final List<CatalogModel> models;

    public ModelCatalog(List<CatalogModel> models) {
        this.models = List.copyOf(models);
    }

    public static ModelCatalog standard() {
        return new ModelCatalog(List.of(
                new CatalogModel("gpt-4o-transcribe", "gpt-4o-transcribe", CatalogModel.Billing.TOKENS),
                new CatalogModel("gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe", CatalogModel.Billing.TOKENS),
                new CatalogModel("whisper-1", "whisper-1", CatalogModel.Billing.DURATION)));
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
