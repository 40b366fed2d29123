package dev.transcriber.common.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ModelCatalogTest {

    private final ModelCatalog catalog = ModelCatalog.standard();

    @Test
    void resolvesBothSpellings() {
        assertThat(catalog.resolve("gpt-4o-transcribe")).map(CatalogModel::id).contains("gpt-4o-transcribe");
        assertThat(catalog.resolve("openai/gpt-4o-transcribe"))
                .map(CatalogModel::id)
                .contains("gpt-4o-transcribe");
        assertThat(catalog.resolve("openai/whisper-1"))
                .map(CatalogModel::billing)
                .contains(CatalogModel.Billing.DURATION);
    }

    @Test
    void unknownOrOtherProvidersAreNotResolved() {
        assertThat(catalog.resolve("gpt-4.1")).isEmpty();
        assertThat(catalog.resolve("groq/whisper-1")).isEmpty();
        assertThat(catalog.resolve(null)).isEmpty();
    }
}
