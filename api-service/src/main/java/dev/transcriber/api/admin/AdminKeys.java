package dev.transcriber.api.admin;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.ApiKeys;
import dev.transcriber.api.keys.KeyRevoked;
import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The operator's work on callers' keys: create one (its secret made here, shown once, stored hashed), list them,
 * change a key's name, models and limits, and revoke it. A change reaches every api instance within a second (their
 * key cache lasts that long).
 */
@Service
class AdminKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiKeys apiKeys;
    private final ApiKeyRepository keys;
    private final ModelCatalog catalog;
    private final Clock clock;
    private final Wakeups wakeups;
    private final ApplicationEventPublisher events;
    private final TransactionTemplate transactions;

    AdminKeys(
            ApiKeys apiKeys,
            ApiKeyRepository keys,
            ModelCatalog catalog,
            Clock clock,
            Wakeups wakeups,
            ApplicationEventPublisher events,
            TransactionTemplate transactions) {
        this.events = events;
        this.transactions = transactions;
        this.apiKeys = apiKeys;
        this.keys = keys;
        this.catalog = catalog;
        this.clock = clock;
        this.wakeups = wakeups;
    }

    /** A new key with the settings {@code request} gives, and its secrets. */
    @Transactional
    KeyView create(KeyRequest request) {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        String secret = "sk-" + HexFormat.of().formatHex(random);
        ApiKey key = apiKeys.ensure(secret, request.name() == null ? "unnamed" : request.name(), null);
        configure(key, request);
        return KeyView.of(key).withSecrets(secret, key.webhookSecret());
    }

    @Transactional(readOnly = true)
    KeyView.Page list() {
        return KeyView.Page.of(keys.findAll().stream().map(KeyView::of).toList());
    }

    /** The key {@code id} with the settings {@code request} gives; those it leaves out stay as they are. */
    @Transactional
    KeyView update(String id, KeyRequest request) {
        ApiKey key = find(id);
        configure(key, request);
        if (request.max_concurrent_jobs() != null || request.concurrent_jobs_mode() != null) {
            wakeups.notify(Channel.ADMISSION); // a cap raised, or no longer queueing, may let held jobs go
        }
        return KeyView.of(key);
    }

    /**
     * Revokes the key; once that has committed, what it submitted and still waits is cancelled ({@link KeyRevoked}).
     * Revoking a revoked key again cancels again what may have been left (the database failing the first time).
     */
    KeyView.Deleted revoke(String id) {
        KeyView.Deleted revoked = transactions.execute(status -> {
            ApiKey key = find(id);
            key.revoke(clock.instant());
            return KeyView.Deleted.of(key);
        });
        events.publishEvent(new KeyRevoked(UUID.fromString(id)));
        return revoked;
    }

    private void configure(ApiKey key, KeyRequest request) {
        if (request.name() != null) {
            key.rename(request.name());
        }
        if (request.allowed_models() != null) {
            key.allowModels(request.allowed_models().stream()
                    .map(m -> catalog.resolve(m)
                            .map(CatalogModel::id)
                            .orElseThrow(() -> ApiException.invalidRequest(
                                    "Unknown model '" + m + "' in allowed_models.", "allowed_models")))
                    .distinct()
                    .toList());
        }
        key.limit(
                positive(request.requests_per_minute(), key.requestsPerMinute(), "requests_per_minute"),
                positive(request.audio_seconds_per_day(), key.audioSecondsPerDay(), "audio_seconds_per_day"),
                positive(request.max_concurrent_jobs(), key.maxConcurrentJobs(), "max_concurrent_jobs"));
        if (request.concurrent_jobs_mode() != null) {
            if (!List.of("refuse", "queue").contains(request.concurrent_jobs_mode())) {
                throw ApiException.invalidRequest(
                        "Invalid value for 'concurrent_jobs_mode': '" + request.concurrent_jobs_mode()
                                + "'. Supported values are: 'refuse' and 'queue'.",
                        "concurrent_jobs_mode");
            }
            key.concurrentJobsMode(request.concurrent_jobs_mode());
        }
    }

    private static Integer positive(Integer given, Integer current, String name) {
        if (given == null) {
            return current;
        }
        if (given < 0) {
            throw ApiException.invalidRequest("'" + name + "' must be 0 (no limit) or more.", name);
        }
        return given == 0 ? null : given;
    }

    private ApiKey find(String id) {
        try {
            return keys.findById(UUID.fromString(id)).orElseThrow(() -> notFound(id));
        } catch (IllegalArgumentException e) {
            throw notFound(id);
        }
    }

    private static ApiException notFound(String id) {
        return new ApiException(
                HttpStatus.NOT_FOUND, "invalid_request_error", "not_found", "id", "No API key '" + id + "'.");
    }
}
