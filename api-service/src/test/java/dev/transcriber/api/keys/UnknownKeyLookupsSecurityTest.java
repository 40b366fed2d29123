package dev.transcriber.api.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.web.ServerBusy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bearers that name no key the api has seen cannot take the database's connections: at most
 * {@code unknown-key-lookups} of their look-ups run at once, the rest wait {@code unknown-key-lookup-wait} and are then
 * refused as busy (503), while a key seen active before is looked up again without waiting behind them.
 */
class UnknownKeyLookupsSecurityTest {

    private static final int LIMIT = 4;

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger inside = new AtomicInteger();
    private final AtomicInteger mostInside = new AtomicInteger();
    private final AtomicInteger lookUps = new AtomicInteger();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T12:00:00Z"));
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    private final String realSecret = strongSecret();
    private final String realHash = ApiKeys.hash(realSecret);
    private final ApiKey realKey = new ApiKey(UUID.randomUUID(), "real", realHash, "sk-test", now.get());

    @AfterEach
    void releaseAndStop() {
        release.countDown();
        callers.close();
    }

    @Test
    void strangersLookUpsTakeAtMostTheirShareAndTheRestAreRefusedAsBusy() throws Exception {
        ApiKeys keys = keys(Duration.ofMillis(200));

        List<CompletableFuture<Optional<ApiKey>>> guesses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String guess = strongSecret();
            guesses.add(CompletableFuture.supplyAsync(() -> keys.authenticate(guess), callers));
        }

        // those beyond the limit cannot start a look-up within the wait; those within it are held in the database
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> guesses.stream()
                                .filter(CompletableFuture::isCompletedExceptionally)
                                .count()
                        == 20 - LIMIT);

        assertThat(mostInside.get()).isEqualTo(LIMIT);
        assertThat(guesses.stream().filter(CompletableFuture::isCompletedExceptionally))
                .allSatisfy(g -> assertThatThrownBy(g::join).hasCauseInstanceOf(ServerBusy.class));
        // counted, so an operator sees a flood the log does not show
        assertThat(meters.get(ApiKeys.REFUSED_LOOKUPS).counter().count()).isEqualTo(20 - LIMIT);

        release.countDown();
        for (CompletableFuture<Optional<ApiKey>> guess : guesses) {
            if (!guess.isCompletedExceptionally()) {
                assertThat(guess.get(5, TimeUnit.SECONDS)).isEmpty();
            }
        }
    }

    @Test
    void aKeySeenActiveIsLookedUpAgainWithoutWaitingBehindStrangers() throws Exception {
        ApiKeys keys = keys(Duration.ofSeconds(30));
        assertThat(keys.authenticate(realSecret)).contains(realKey);
        for (int i = 0; i < LIMIT + 2; i++) {
            String guess = strongSecret();
            callers.submit(() -> keys.authenticate(guess));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> inside.get() == LIMIT);

        now.set(now.get().plus(ApiKeys.REMEMBER).plusMillis(1)); // its memory has run out: it is looked up again
        Optional<ApiKey> again = CompletableFuture.supplyAsync(() -> keys.authenticate(realSecret), callers)
                .get(5, TimeUnit.SECONDS);

        assertThat(again).contains(realKey);
        assertThat(inside.get()).isEqualTo(LIMIT);
    }

    @Test
    void aLookUpThatFailsGivesItsTurnBack() throws Exception {
        ApiKeys keys = keys(Duration.ofMillis(200));
        release.countDown();
        failing.set(true);
        for (int i = 0; i < LIMIT + 1; i++) {
            String guess = strongSecret();
            assertThatThrownBy(() -> keys.authenticate(guess)).hasMessage("the database is down");
        }
        failing.set(false);

        assertThat(keys.authenticate(strongSecret())).isEmpty();
    }

    @Test
    void anUnknownKeyIsRefusedWithoutALookUpWhileItIsRememberedAsNone() throws Exception {
        ApiKeys keys = keys(Duration.ofMillis(200));
        release.countDown();
        String guess = strongSecret();
        int before = lookUps.get();

        assertThat(keys.authenticate(guess)).isEmpty();
        assertThat(keys.authenticate(guess)).isEmpty();

        assertThat(lookUps.get() - before).isEqualTo(1);
    }

    private ApiKeys keys(Duration wait) {
        ApiKeyRepository repository = (ApiKeyRepository) Proxy.newProxyInstance(
                ApiKeyRepository.class.getClassLoader(),
                new Class<?>[] {ApiKeyRepository.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("findByKeyHash")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    lookUps.incrementAndGet();
                    if (failing.get()) {
                        throw new IllegalStateException("the database is down");
                    }
                    if (realHash.equals(args[0])) {
                        return Optional.of(realKey);
                    }
                    int now = inside.incrementAndGet();
                    mostInside.accumulateAndGet(now, Math::max);
                    try {
                        release.await();
                    } finally {
                        inside.decrementAndGet();
                    }
                    return Optional.empty();
                });
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        return new ApiKeys(repository, clock, new ApiKeys.UnknownKeyLookups(LIMIT, wait), meters);
    }

    private static String strongSecret() {
        byte[] random = new byte[24];
        ThreadLocalRandom.current().nextBytes(random);
        return "sk-test-" + HexFormat.of().formatHex(random);
    }
}
