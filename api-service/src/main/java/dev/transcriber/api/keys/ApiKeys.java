package dev.transcriber.api.keys;

import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.web.Secrets;
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
    private final Map<String, Instant> misses = new ConcurrentHashMap<>();

    ApiKeys(ApiKeyRepository keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * The active key with this secret, if any. A weak secret ({@link Secrets}) is never a key, whatever the database
     * holds (such as a {@code change-me} bootstrap key of an older version), and is refused without a query; a secret
     * found to be no key is remembered as such for {@link #REMEMBER} too, so guessing costs no query per attempt.
     */
    public Optional<ApiKey> authenticate(String secret) {
        String hash = hash(secret);
        Instant now = clock.instant();
        Remembered remembered = active.get(hash);
        if (remembered != null && remembered.until().isAfter(now)) {
            return Optional.of(remembered.key());
        }
        Instant missed = misses.get(hash);
        if ((missed != null && missed.isAfter(now)) || !Secrets.isStrong(secret)) {
            return Optional.empty();
        }
        Optional<ApiKey> found = keys.findByKeyHash(hash).filter(ApiKey::isActive);
        if (found.isPresent()) {
            remember(active, hash, new Remembered(found.get(), now.plus(REMEMBER)));
            misses.remove(hash);
        } else {
            active.remove(hash);
            remember(misses, hash, now.plus(REMEMBER));
        }
        return found;
    }

    private static <V> void remember(Map<String, V> memory, String hash, V value) {
        if (memory.size() >= MAX_REMEMBERED) {
            memory.clear();
        }
        memory.put(hash, value);
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

    /**
     * The caller key {@code id} makes as stored now (a revoked key's too; none stored: no limits), for what the
     * operator does on a key's behalf, such as retrying one of its jobs under its limits.
     */
    @Transactional(readOnly = true)
    public Caller caller(UUID id) {
        return (id == null ? Optional.<ApiKey>empty() : keys.findById(id))
                .map(Caller::of)
                .orElseGet(() -> new Caller(id, null));
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
