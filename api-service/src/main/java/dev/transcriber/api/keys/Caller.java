package dev.transcriber.api.keys;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ApiKey;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;

/**
 * The authenticated caller of a request, put on the request by {@link ApiKeyCallers}, with the models its key may
 * use (empty: all) and the limits checked before a job is accepted.
 */
public record Caller(
        UUID keyId,
        String keyName,
        List<String> allowedModels,
        Integer audioSecondsPerDay,
        Integer maxConcurrentJobs,
        boolean queuesOverCap,
        Integer requestsPerMinute) {

    public static final String ATTRIBUTE = "dev.transcriber.api.keys.Caller";

    public Caller(UUID keyId, String keyName) {
        this(keyId, keyName, List.of(), null, null, false, null);
    }

    public Caller {
        allowedModels = allowedModels == null ? List.of() : List.copyOf(allowedModels);
    }

    /** The caller {@code key} makes, with its models and limits as stored. */
    public static Caller of(ApiKey key) {
        return new Caller(
                key.id(),
                key.name(),
                key.allowedModels(),
                key.audioSecondsPerDay(),
                key.maxConcurrentJobs(),
                key.queuesOverCap(),
                key.requestsPerMinute());
    }

    /** Seed 000's 403 when the key may not use {@code requested} (in either spelling). */
    public void checkModel(String requested, ModelCatalog catalog) {
        if (allowedModels.isEmpty()) {
            return;
        }
        String id = catalog.resolve(requested).map(CatalogModel::id).orElse(requested);
        if (!allowedModels.contains(id)) {
            throw new ApiException(
                    HttpStatus.FORBIDDEN,
                    "invalid_request_error",
                    "model_not_allowed",
                    null,
                    "This API key does not have access to model '" + requested + "'");
        }
    }
}
