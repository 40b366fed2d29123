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
    void allowListNarrowsTheCatalogInEitherSpelling() {
        ModelCatalog only = ModelCatalog.standard(java.util.List.of("openai/gpt-4o-transcribe"));

        assertThat(only.models()).extracting(CatalogModel::id).containsExactly("gpt-4o-transcribe");
        assertThat(only.resolve("whisper-1")).isEmpty();
        assertThat(ModelCatalog.standard(java.util.List.of("")).models())
                .isEqualTo(ModelCatalog.standard().models());
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> ModelCatalog.standard(java.util.List.of("gpt-5-transcribe")))
                .hasMessageContaining("unknown model 'gpt-5-transcribe'");
    }

    @Test
    void perModelCapsForChunking() {
        CatalogModel gpt4o = catalog.resolve("gpt-4o-transcribe").orElseThrow();

        assertThat(gpt4o.maxCallDuration()).isEqualTo(java.time.Duration.ofSeconds(1400));
        assertThat(gpt4o.maxCallBytes()).isEqualTo(25L * 1024 * 1024);
        assertThat(gpt4o.upstreamFormats()).doesNotContain("verbose_json");
        assertThat(catalog.resolve("whisper-1").orElseThrow().upstreamFormats()).contains("srt", "verbose_json");
    }

    @Test
    void unknownOrOtherProvidersAreNotResolved() {
        assertThat(catalog.resolve("gpt-4.1")).isEmpty();
        assertThat(catalog.resolve("groq/whisper-1")).isEmpty();
        assertThat(catalog.resolve(null)).isEmpty();
    }
}
