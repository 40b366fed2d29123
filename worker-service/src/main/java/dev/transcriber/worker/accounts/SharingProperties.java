package dev.transcriber.worker.accounts;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the workers share the upstream accounts through PostgreSQL. {@code syncInterval}: how often a worker reads the
 * fleet's view of the accounts while it makes calls (a 429 seen by one worker cools the account for all within about
 * this long; a quiet worker is told of such a change at once, and reads anyway every {@code quietSyncInterval});
 * {@code slotLease}: how long a call slot stays held without
 * renewal (a dead worker's slots come back after it); {@code linger}: how long a worker keeps a slot it has used
 * before giving it back, unless another worker waits for one; {@code claimRetry}: how often a worker that found no
 * free slot asks again.
 *
 * @param syncInterval How often a worker that makes calls reads the fleet's view of the accounts (cooldowns, disabled
 *     accounts, open circuits) and reports its own.
 * @param quietSyncInterval How often a quiet worker (no call in flight, no slot held) reads the fleet's view of the
 *     accounts; a change another worker makes (a cooldown, a refused key, a circuit) reaches it at once anyway.
 * @param slotLease How long a call slot stays held without renewal; a dead worker's slots come back after it.
 * @param linger How long a worker keeps a slot it has used, unless another worker waits for one.
 * @param claimRetry How often a worker that found no free slot asks again.
 */
@ConfigurationProperties("transcriber.upstream.sharing")
public record SharingProperties(
        @DefaultValue("500ms") Duration syncInterval,
        @DefaultValue("30s") Duration slotLease,
        @DefaultValue("2s") Duration linger,
        @DefaultValue("200ms") Duration claimRetry,
        @DefaultValue("10s") Duration quietSyncInterval) {

    /** The defaults, for pools made outside Spring (tests, benchmarks). */
    public static SharingProperties defaults() {
        return new SharingProperties(
                Duration.ofMillis(500),
                Duration.ofSeconds(30),
                Duration.ofSeconds(2),
                Duration.ofMillis(200),
                Duration.ofSeconds(10));
    }
}
