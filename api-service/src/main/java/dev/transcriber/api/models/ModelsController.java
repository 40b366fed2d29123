package dev.transcriber.api.models;

import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /v1/models}: the transcription models served, under both spellings. */
@RestController
class ModelsController {

    private static final long CREATED = 1_700_000_000L;

    private final ModelCatalog catalog;

    ModelsController(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @GetMapping("/v1/models")
    ModelList list() {
        return new ModelList(
                catalog.models().stream().flatMap(ModelsController::spellings).toList());
    }

    private static Stream<Model> spellings(CatalogModel model) {
        return Stream.of(
                new Model(model.id(), "model", CREATED, "openai"),
                new Model(ModelCatalog.PROVIDER_PREFIX + model.id(), "model", CREATED, "openai"));
    }

    record ModelList(String object, List<Model> data) {
        ModelList(List<Model> data) {
            this("list", data);
        }
    }

    record Model(String id, String object, long created, String owned_by) {}
}
