package dev.transcriber.api.keys;

import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Issues and checks API keys. Only a SHA-256 of each secret is stored. */
@Service
public class ApiKeys {

    private final ApiKeyRepository keys;
    private final Clock clock;

    ApiKeys(ApiKeyRepository keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /** The active key with this secret, if any. */
    @Transactional(readOnly = true)
    public Optional<ApiKey> authenticate(String secret) {
        return keys.findByKeyHash(hash(secret)).filter(ApiKey::isActive);
    }

    /** Makes sure a key with this secret exists (used for keys given by configuration). */
    @Transactional
    public ApiKey ensure(String secret, String name) {
        String hash = hash(secret);
        return keys.findByKeyHash(hash)
                .orElseGet(() -> keys.save(new ApiKey(UUID.randomUUID(), name, hash, prefix(secret), clock.instant())));
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
