package dev.transcriber.api.keys;

import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.webhooks.WebhookSignature;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Issues and checks API keys. Only a SHA-256 of each secret is stored. A key found active is remembered for
 * {@link #REMEMBER} so the hot path does not query the database on every request; a revocation takes effect within
 * that time.
 */
@Service
public class ApiKeys {

    /** A revoked or changed key takes effect on every instance within this time. */
    static final Duration REMEMBER = Duration.ofSeconds(1);

    private static final int MAX_REMEMBERED = 10_000;

    private final ApiKeyRepository keys;
    private final Clock clock;
    private final Map<String, Remembered> active = new ConcurrentHashMap<>();

    ApiKeys(ApiKeyRepository keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /** The active key with this secret, if any. */
    public Optional<ApiKey> authenticate(String secret) {
        String hash = hash(secret);
        Instant now = clock.instant();
        Remembered remembered = active.get(hash);
        if (remembered != null && remembered.until().isAfter(now)) {
            return Optional.of(remembered.key());
        }
        Optional<ApiKey> found = keys.findByKeyHash(hash).filter(ApiKey::isActive);
        if (found.isPresent()) {
            if (active.size() >= MAX_REMEMBERED) {
                active.clear();
            }
            active.put(hash, new Remembered(found.get(), now.plus(REMEMBER)));
        } else {
            active.remove(hash);
        }
        return found;
    }

    private record Remembered(ApiKey key, Instant until) {}

    /** Makes sure a key with this secret exists (used for keys given by configuration). */
    @Transactional
    public ApiKey ensure(String secret, String name) {
        return ensure(secret, name, null);
    }

    /**
     * The key for {@code secret}, created when missing; it signs webhooks with {@code webhookSecret} when given and
     * it has none yet, else with a generated one.
     */
    @org.springframework.transaction.annotation.Transactional
    public ApiKey ensure(String secret, String name, String webhookSecret) {
        String hash = hash(secret);
        ApiKey key = keys.findByKeyHash(hash)
                .orElseGet(() -> keys.save(new ApiKey(UUID.randomUUID(), name, hash, prefix(secret), clock.instant())));
        key.ensureWebhookSecret(webhookSecret == null ? WebhookSignature.newSecret() : webhookSecret);
        return keys.save(key);
    }

    static String hash(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String prefix(String secret) {
        return secret.substring(0, Math.min(8, secret.length()));
    }
}
