package dev.transcriber.api.transcription;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.ServableModels;
import java.time.Clock;
import java.time.Duration;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Refuses a translation that only the offline engine could run: Vosk's model transcribes English speech and has no
 * translation, so a job sent to it could only fail. What serves a model is what the workers reported lately (as
 * {@code /v1/models} shows); a model nobody reported yet is accepted, and the worker's engine refuses it then.
 */
@Component
public class TranslatingAccounts {

    private static final Duration FRESH = Duration.ofSeconds(30);

    private final ModelCatalog catalog;
    private final ServableModels servable;
    private final Clock clock;

    TranslatingAccounts(ModelCatalog catalog, ServableModels servable, Clock clock) {
        this.catalog = catalog;
        this.servable = servable;
        this.clock = clock;
    }

    public void check(JobSpec spec) {
        if (!spec.translates()) {
            return;
        }
        String id = catalog.resolve(spec.model()).map(CatalogModel::id).orElse(spec.model());
        if (servable.onlyLocal(id, clock.instant().minus(FRESH))) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST,
                    "invalid_request_error",
                    "unsupported_value",
                    "model",
                    "Model '" + spec.model() + "' is served here only by the offline engine, which transcribes"
                            + " English speech and cannot translate. Translations need an OpenAI-compatible upstream"
                            + " account for this model.");
        }
    }
}
