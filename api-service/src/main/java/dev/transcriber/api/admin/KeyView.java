package dev.transcriber.api.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.common.store.ApiKey;
import java.util.List;

/**
 * A caller's key as {@code /admin/keys} shows it: its name, prefix, allowed models and limits (null: none). Only the
 * answer that creates it carries its secrets ({@code key}, {@code webhook_secret}), this once.
 */
record KeyView(
        String id,
        String object,
        String name,
        String prefix,
        List<String> allowed_models,
        Integer requests_per_minute,
        Integer audio_seconds_per_day,
        Integer max_concurrent_jobs,
        String concurrent_jobs_mode,
        long created_at,
        Long revoked_at,
        @JsonInclude(JsonInclude.Include.NON_NULL) String key,
        @JsonInclude(JsonInclude.Include.NON_NULL) String webhook_secret) {

    static KeyView of(ApiKey key) {
        return new KeyView(
                key.id().toString(),
                "api_key",
                key.name(),
                key.keyPrefix(),
                key.allowedModels(),
                key.requestsPerMinute(),
                key.audioSecondsPerDay(),
                key.maxConcurrentJobs(),
                key.concurrentJobsMode(),
                key.createdAt().getEpochSecond(),
                key.revokedAt() == null ? null : key.revokedAt().getEpochSecond(),
                null,
                null);
    }

    /** The new key with its secret and its webhook signing secret. */
    KeyView withSecrets(String secret, String webhookSecret) {
        return new KeyView(
                id,
                object,
                name,
                prefix,
                allowed_models,
                requests_per_minute,
                audio_seconds_per_day,
                max_concurrent_jobs,
                concurrent_jobs_mode,
                created_at,
                revoked_at,
                secret,
                webhookSecret);
    }

    /** Keys in OpenAI's list shape. */
    record Page(String object, List<KeyView> data) {
        static Page of(List<KeyView> data) {
            return new Page("list", data);
        }
    }

    /** A revoked key. */
    record Deleted(String id, String object, boolean deleted) {
        static Deleted of(ApiKey key) {
            return new Deleted(key.id().toString(), "api_key.deleted", true);
        }
    }
}
