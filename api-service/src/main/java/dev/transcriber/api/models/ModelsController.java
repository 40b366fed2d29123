package dev.transcriber.api.models;

import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ServableModels;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/models}: the catalog models that some worker can serve right now (its usable accounts serve them),
 * under both spellings. {@code owned_by} is {@code local-engine} for models only the offline engine serves; a model
 * that labels speakers is not listed when only the offline engine serves it (it cannot, see {@link EngineSupport}).
 */
@RestController
class ModelsController {

    private static final long CREATED = 1_700_000_000L;
    private static final Duration FRESH = Duration.ofSeconds(30);

    private final ModelCatalog catalog;
    private final ServableModels servable;
    private final Clock clock;

    ModelsController(ModelCatalog catalog, ServableModels servable, Clock clock) {
        this.catalog = catalog;
        this.servable = servable;
        this.clock = clock;
    }

    @GetMapping("/v1/models")
    ModelList list() {
        return new ModelList(servable.since(clock.instant().minus(FRESH)).stream()
                .filter(s -> catalog.resolve(s.model()).isPresent())
                .filter(s -> !("local-engine".equals(s.ownedBy())
                        && catalog.resolve(s.model())
                                .map(dev.transcriber.common.catalog.CatalogModel::diarizes)
                                .orElse(false)))
                .flatMap(ModelsController::spellings)
                .toList());
    }

    private static Stream<Model> spellings(ServableModels.Servable model) {
        return Stream.of(
                new Model(model.model(), "model", CREATED, model.ownedBy()),
                new Model(ModelCatalog.PROVIDER_PREFIX + model.model(), "model", CREATED, model.ownedBy()));
    }

    record ModelList(String object, List<Model> data) {
        ModelList(List<Model> data) {
            this("list", data);
        }
    }

    record Model(String id, String object, long created, String owned_by) {}
}
