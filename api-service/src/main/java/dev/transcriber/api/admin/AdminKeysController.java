package dev.transcriber.api.admin;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.ApiKeys;
import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /admin/keys}: create (the secret is in the answer once, stored hashed), list, update and revoke callers'
 * keys. A change reaches every api instance within a second (their key cache lasts that long).
 */
@RestController
class AdminKeysController {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiKeys apiKeys;
    private final ApiKeyRepository keys;
    private final ModelCatalog catalog;
    private final Clock clock;
    private final Wakeups wakeups;

    AdminKeysController(ApiKeys apiKeys, ApiKeyRepository keys, ModelCatalog catalog, Clock clock, Wakeups wakeups) {
        this.wakeups = wakeups;
        this.apiKeys = apiKeys;
        this.keys = keys;
        this.catalog = catalog;
        this.clock = clock;
    }

    @PostMapping("/admin/keys")
    @Transactional
    ResponseEntity<Map<String, Object>> create(@RequestBody KeyRequest request) {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        String secret = "sk-" + HexFormat.of().formatHex(random);
        ApiKey key = apiKeys.ensure(secret, request.name() == null ? "unnamed" : request.name(), null);
        configure(key, request);
        Map<String, Object> view = view(key);
        view.put("key", secret);
        view.put("webhook_secret", key.webhookSecret());
        return ResponseEntity.status(HttpStatus.CREATED).body(view);
    }

    @GetMapping("/admin/keys")
    @Transactional(readOnly = true)
    Map<String, Object> list() {
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", keys.findAll().stream().map(this::view).toList());
        return list;
    }

    @PatchMapping("/admin/keys/{id}")
    @Transactional
    Map<String, Object> update(@PathVariable String id, @RequestBody KeyRequest request) {
        ApiKey key = find(id);
        configure(key, request);
        if (request.max_concurrent_jobs() != null || request.concurrent_jobs_mode() != null) {
            wakeups.notify(Channel.ADMISSION); // a cap raised, or no longer queueing, may let held jobs go
        }
        return view(key);
    }

    @DeleteMapping("/admin/keys/{id}")
    @Transactional
    Map<String, Object> revoke(@PathVariable String id) {
        ApiKey key = find(id);
        key.revoke(clock.instant());
        Map<String, Object> revoked = new LinkedHashMap<>();
        revoked.put("id", key.id().toString());
        revoked.put("object", "api_key.deleted");
        revoked.put("deleted", true);
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

    private Map<String, Object> view(ApiKey key) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", key.id().toString());
        view.put("object", "api_key");
        view.put("name", key.name());
        view.put("prefix", key.keyPrefix());
        view.put("allowed_models", key.allowedModels());
        view.put("requests_per_minute", key.requestsPerMinute());
        view.put("audio_seconds_per_day", key.audioSecondsPerDay());
        view.put("max_concurrent_jobs", key.maxConcurrentJobs());
        view.put("concurrent_jobs_mode", key.concurrentJobsMode());
        view.put("created_at", key.createdAt().getEpochSecond());
        view.put("revoked_at", key.revokedAt() == null ? null : key.revokedAt().getEpochSecond());
        return view;
    }
}
