package dev.transcriber.api.keys;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.web.Secrets;
import dev.transcriber.common.web.ServerBusy;
import dev.transcriber.common.webhooks.WebhookSignature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Issues and checks API keys. Only a SHA-256 of each secret is stored. A key found active is remembered for
 * {@link #REMEMBER} so the hot path does not query the database on every request; a revocation takes effect within
 * that time. Bearers this instance has not seen as keys (guesses, a flood of random ones, new keys) are looked up at
 * most {@link UnknownKeyLookups#concurrent()} at a time, so they cannot take the connections jobs need.
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
    /** Requests refused because too many unknown bearers were being looked up (a flood of guesses, as a rule). */
    static final String REFUSED_LOOKUPS = "transcriber.api.key_lookups.refused";

    private final Semaphore unknownLookups;
    private final Counter refusedLookups;
    private final UnknownKeyLookups unknownLimit;

    /**
     * How many look-ups of bearers not seen as keys may run at once, and how long one waits for its turn before the
     * request is refused as busy.
     */
    record UnknownKeyLookups(int concurrent, Duration maxWait) {
        UnknownKeyLookups {
            if (concurrent < 1) {
                throw new IllegalArgumentException(
                        "transcriber.api.unknown-key-lookups must be at least 1, not " + concurrent);
            }
        }
    }

    @Autowired
    ApiKeys(ApiKeyRepository keys, Clock clock, ApiProperties properties, MeterRegistry meters) {
        this(
                keys,
                clock,
                new UnknownKeyLookups(properties.unknownKeyLookups(), properties.unknownKeyLookupWait()),
                meters);
    }

    ApiKeys(ApiKeyRepository keys, Clock clock, UnknownKeyLookups unknownLimit, MeterRegistry meters) {
        this.keys = keys;
        this.clock = clock;
        this.unknownLimit = unknownLimit;
        this.unknownLookups = new Semaphore(unknownLimit.concurrent(), true);
        this.refusedLookups = Counter.builder(REFUSED_LOOKUPS)
                .description("Requests refused with 503 server_busy because too many bearers this instance has not"
                        + " seen as keys were being looked up at once")
                .register(meters);
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
        // a key seen active before is looked up again at once: strangers' guesses cannot hold its refresh up
        Optional<ApiKey> found =
                (remembered != null ? keys.findByKeyHash(hash) : lookUpUnknown(hash)).filter(ApiKey::isActive);
        if (found.isPresent()) {
            remember(active, hash, new Remembered(found.get(), now.plus(REMEMBER)));
            misses.remove(hash);
        } else {
            active.remove(hash);
            remember(misses, hash, now.plus(REMEMBER));
        }
        return found;
    }

    private Optional<ApiKey> lookUpUnknown(String hash) {
        boolean turn;
        try {
            turn = unknownLookups.tryAcquire(unknownLimit.maxWait().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerBusy("The request was interrupted while its API key waited to be checked.");
        }
        if (!turn) {
            refusedLookups.increment();
            throw new ServerBusy(
                    "The server is checking more unknown API keys at once than it allows; send the request again"
                            + " shortly.");
        }
        try {
            return keys.findByKeyHash(hash);
        } finally {
            unknownLookups.release();
        }
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
