package dev.transcriber.api.models;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.ServableModels;
import java.time.Clock;
import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * What the engines serving a model cannot do, refused when the request comes rather than when its job runs. The
 * offline engine (Vosk) labels no speakers (no speaker model is available to it as a package), translates nothing
 * (it transcribes English) and gives no token logprobs (its word confidences are not logprobs): each is a 400 while
 * only the offline engine serves the model.
 */
@Component
public class EngineSupport {

    private static final Duration FRESH = Duration.ofSeconds(30);

    private final ModelCatalog catalog;
    private final ServableModels servable;
    private final Clock clock;

    EngineSupport(ModelCatalog catalog, ServableModels servable, Clock clock) {
        this.catalog = catalog;
        this.servable = servable;
        this.clock = clock;
    }

    /**
     * Refuses {@code spec} when the engines serving its model cannot do what it asks: only the offline engine serves
     * it (as the workers reported lately, which {@code /v1/models} shows too), and it asks for speakers, a translation
     * or token logprobs. A model nobody reported yet is accepted; the worker's engine then refuses the job.
     */
    public void check(JobSpec spec) {
        CatalogModel model = catalog.resolve(spec.model()).orElse(null);
        if (model == null
                || !(model.diarizes() || spec.translates() || spec.logprobs())
                || !servable.onlyLocal(model.id(), clock.instant().minus(FRESH))) {
            return;
        }
        if (spec.translates()) {
            throw refused(
                    "model",
                    "Model '" + spec.model() + "' is served here only by the offline engine, which transcribes English"
                            + " speech and cannot translate. Translations need an OpenAI-compatible upstream account"
                            + " for this model.");
        }
        if (model.diarizes()) {
            throw refused(
                    "model",
                    "The model '" + spec.model() + "' labels speakers, which the offline engine serving it here"
                            + " cannot do: no speaker model is available to it as a package. Configure an"
                            + " OpenAI-compatible upstream account for this model.");
        }
        throw refused(
                "include[]",
                "include[]=logprobs is not available for model '" + spec.model() + "' here: only the offline engine"
                        + " serves it, and its word confidences are not token logprobs. Send the request without"
                        + " include[], or configure an OpenAI-compatible upstream account for this model.");
    }

    private static ApiException refused(String param, String message) {
        return ApiException.unsupportedValue(param, message);
    }
}
