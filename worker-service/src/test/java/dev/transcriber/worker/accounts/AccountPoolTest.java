package dev.transcriber.worker.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.Lane;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccountPoolTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void picksTheAccountWithTheMostSpareCapacityForItsWeight() {
        AccountPool pool = new AccountPool(
                List.of(account("small", 2, 1, Map.of()), account("big", 6, 1, Map.of())), clock, Duration.ZERO);

        List<AccountPool.Lease> leases = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            leases.add(pool.acquire("gpt-4o-transcribe"));
        }

        assertThat(leases.stream().filter(l -> l.account().id().equals("big"))).hasSize(6);
        assertThat(leases.stream().filter(l -> l.account().id().equals("small")))
                .hasSize(2);
        assertThatThrownBy(() -> pool.acquire("gpt-4o-transcribe"))
                .isInstanceOf(NoAccountsException.class)
                .hasMessageContaining("concurrency limit");
        leases.getFirst().close();
        assertThat(pool.acquire("gpt-4o-transcribe").account().id())
                .isEqualTo(leases.getFirst().account().id());
    }

    @Test
    void bulkCallsLeaveAReserveForInteractiveOnes() {
        AccountPool pool = new AccountPool(List.of(account("a", 4, 1, Map.of())), clock, Duration.ZERO);

        pool.acquire("whisper-1", Lane.BULK, Duration.ZERO);
        pool.acquire("whisper-1", Lane.BULK, Duration.ZERO);
        pool.acquire("whisper-1", Lane.BULK, Duration.ZERO);

        assertThatThrownBy(() -> pool.acquire("whisper-1", Lane.BULK, Duration.ZERO))
                .isInstanceOf(NoAccountsException.class);
        assertThat(pool.acquire("whisper-1", Lane.INTERACTIVE, Duration.ZERO)
                        .account()
                        .id())
                .isEqualTo("a");
    }

    @Test
    void aFreedSlotGoesToTheWaitingInteractiveCallFirst() throws Exception {
        AccountPool pool = new AccountPool(List.of(account("a", 1, 1, Map.of())), clock, Duration.ofMinutes(1));
        AccountPool.Lease busy = pool.acquire("whisper-1", Lane.INTERACTIVE, Duration.ZERO);
        List<Lane> served = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CountDownLatch bulkWaiting = new java.util.concurrent.CountDownLatch(1);
        Thread bulk = Thread.ofVirtual().start(() -> {
            bulkWaiting.countDown();
            try (var lease = pool.acquire("whisper-1", Lane.BULK, Duration.ofSeconds(30))) {
                served.add(Lane.BULK);
            }
        });
        bulkWaiting.await();
        org.awaitility.Awaitility.await().until(() -> pool.waiting(Lane.BULK) == 1);
        Thread interactive = Thread.ofVirtual().start(() -> {
            try (var lease = pool.acquire("whisper-1", Lane.INTERACTIVE, Duration.ofSeconds(30))) {
                served.add(Lane.INTERACTIVE);
            }
        });
        org.awaitility.Awaitility.await().until(() -> pool.waiting(Lane.INTERACTIVE) == 1);

        busy.close();
        bulk.join();
        interactive.join();

        assertThat(served).containsExactly(Lane.INTERACTIVE, Lane.BULK);
    }

    @Test
    void onlyAccountsThatServeTheModelAreUsedWithTheirUpstreamName() {
        UpstreamAccount groq = account("groq", 4, 1, Map.of("whisper-1", "whisper-large-v3"));
        AccountPool pool = new AccountPool(List.of(groq), clock, Duration.ZERO);

        try (AccountPool.Lease lease = pool.acquire("whisper-1")) {
            assertThat(lease.account().upstreamModel("whisper-1", "whisper-1")).isEqualTo("whisper-large-v3");
        }
        assertThatThrownBy(() -> pool.acquire("gpt-4o-transcribe")).isInstanceOf(NoAccountsException.class);
    }

    @Test
    void coolingAndDisabledAccountsAreSkipped() {
        UpstreamAccount a = account("a", 4, 1, Map.of());
        UpstreamAccount b = account("b", 4, 1, Map.of());
        AccountPool pool = new AccountPool(List.of(a, b), clock, Duration.ZERO);

        pool.coolDown(a, NOW.plusSeconds(30));
        assertThat(pool.acquire("whisper-1").account()).isEqualTo(b);

        pool.coolDown(b, NOW.plusSeconds(10));
        assertThatThrownBy(() -> pool.acquire("whisper-1"))
                .isInstanceOfSatisfying(
                        AllAccountsCoolingException.class,
                        e -> assertThat(e.resetsAt()).isEqualTo(NOW.plusSeconds(10)));

        pool.disable(b, "HTTP 401: bad key");
        assertThatThrownBy(() -> pool.acquire("whisper-1"))
                .isInstanceOfSatisfying(
                        AllAccountsCoolingException.class,
                        e -> assertThat(e.resetsAt()).isEqualTo(NOW.plusSeconds(30)));
        pool.disable(a, "HTTP 403: no access");
        assertThatThrownBy(() -> pool.acquire("whisper-1")).isInstanceOf(NoAccountsException.class);
    }

    @Test
    void ownRequestsPerMinuteLimitHolds() {
        UpstreamAccount limited = new UpstreamAccount(
                "limited",
                AccountsProperties.ProviderKind.OPENAI,
                "http://127.0.0.1:1/v1",
                "k",
                Map.of(),
                1,
                8,
                2,
                null);
        AccountPool pool = new AccountPool(List.of(limited), clock, Duration.ZERO);

        pool.acquire("whisper-1").close();
        pool.acquire("whisper-1").close();

        assertThatThrownBy(() -> pool.acquire("whisper-1"))
                .isInstanceOfSatisfying(
                        AllAccountsCoolingException.class,
                        e -> assertThat(e.resetsAt()).isEqualTo(NOW.plusSeconds(60)));
    }

    @Test
    void aCallAtTheAccountsOwnPaceWaitsForItsNextSlotInsteadOfFailing() throws Exception {
        MovableClock moving = new MovableClock(NOW);
        AccountPool pool = new AccountPool(List.of(paced("limited", 2)), moving, Duration.ofMinutes(10));
        pool.acquire("whisper-1").close();
        pool.acquire("whisper-1").close();

        java.util.concurrent.CompletableFuture<String> third = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (AccountPool.Lease lease = pool.acquire("whisper-1", Lane.INTERACTIVE, Duration.ofMinutes(2))) {
                third.complete(lease.account().id());
            } catch (RuntimeException e) {
                third.completeExceptionally(e);
            }
        });
        org.awaitility.Awaitility.await().until(() -> third.isDone() || pool.waiting(Lane.INTERACTIVE) == 1);
        assertThat(third).as("waits for the next slot of the minute").isNotDone();

        moving.advance(Duration.ofSeconds(60));

        assertThat(third.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("limited");
    }

    @Test
    void anAsyncCallWaitsOutAnUpstreamCooldownWithinItsWait() throws Exception {
        MovableClock moving = new MovableClock(NOW);
        UpstreamAccount cooled = account("cooled", 4, 1, Map.of());
        AccountPool pool = new AccountPool(List.of(cooled), moving, Duration.ofMinutes(10));
        pool.coolDown(cooled, NOW.plusSeconds(5));

        java.util.concurrent.CompletableFuture<String> async = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (AccountPool.Lease lease = pool.acquire("whisper-1", Lane.ASYNC, Duration.ofMinutes(2))) {
                async.complete(lease.account().id());
            } catch (RuntimeException e) {
                async.completeExceptionally(e);
            }
        });
        org.awaitility.Awaitility.await().until(() -> async.isDone() || pool.waiting(Lane.ASYNC) == 1);
        assertThat(async).as("waits for the cooldown's end").isNotDone();
        assertThatThrownBy(() -> pool.acquire("whisper-1", Lane.INTERACTIVE, Duration.ofMinutes(2)))
                .isInstanceOf(AllAccountsCoolingException.class); // a held caller hears the 429 at once

        moving.advance(Duration.ofSeconds(5));

        assertThat(async.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("cooled");
    }

    @Test
    void aPaceSlotBeyondTheCallsWaitAndAnUpstreamCooldownStillFailAtOnce() {
        AccountPool pool = new AccountPool(List.of(paced("limited", 1)), clock, Duration.ofMinutes(10));
        pool.acquire("whisper-1").close();

        long started = System.nanoTime();
        assertThatThrownBy(() -> pool.acquire("whisper-1", Lane.INTERACTIVE, Duration.ofSeconds(59)))
                .isInstanceOfSatisfying(
                        AllAccountsCoolingException.class,
                        e -> assertThat(e.resetsAt()).isEqualTo(NOW.plusSeconds(60)));

        UpstreamAccount cooled = account("cooled", 4, 1, Map.of());
        AccountPool upstreamCooled = new AccountPool(List.of(cooled), clock, Duration.ofMinutes(10));
        upstreamCooled.coolDown(cooled, NOW.plusSeconds(5));
        assertThatThrownBy(() -> upstreamCooled.acquire("whisper-1", Lane.INTERACTIVE, Duration.ofMinutes(2)))
                .isInstanceOf(AllAccountsCoolingException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void anAsyncCallWaitsForAnOpenCircuitToHalfOpenWhileAHeldCallerIsToldAtOnce() throws Exception {
        UpstreamAccount flaky = account("flaky", 4, 1, Map.of());
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
                .slidingWindowSize(4)
                .minimumNumberOfCalls(4)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(1))
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build();
        AccountPool pool = new AccountPool(List.of(flaky), Clock.systemUTC(), Duration.ofMinutes(10), breaker);
        for (int i = 0; i < 4; i++) {
            pool.record(flaky, "server_error", Duration.ofMillis(5));
        }
        assertThat(pool.status().getFirst().state()).isEqualTo("circuit_open");

        assertThatThrownBy(() -> pool.acquire("whisper-1", Lane.INTERACTIVE, Duration.ofMinutes(2)))
                .isInstanceOf(NoAccountsException.class);
        try (AccountPool.Lease lease = pool.acquire("whisper-1", Lane.ASYNC, Duration.ofMinutes(2))) {
            assertThat(lease.account()).isEqualTo(flaky); // after the circuit half-opened
        }
        AccountPool disabled = new AccountPool(List.of(flaky), clock, Duration.ofMinutes(10), breaker);
        disabled.disable(flaky, "401 from the upstream");
        assertThatThrownBy(() -> disabled.acquire("whisper-1", Lane.ASYNC, Duration.ofMinutes(2)))
                .isInstanceOf(NoAccountsException.class); // a disabled account is not waited for
    }

    @Test
    void circuitOpensOnRepeatedServerErrorsAndAnOperatorCanCloseIt() {
        UpstreamAccount flaky = account("flaky", 4, 1, Map.of());
        UpstreamAccount steady = account("steady", 4, 1, Map.of());
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
                .slidingWindowSize(4)
                .minimumNumberOfCalls(4)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMinutes(5))
                .build();
        AccountPool pool = new AccountPool(List.of(flaky, steady), clock, Duration.ZERO, breaker);

        for (int i = 0; i < 4; i++) {
            pool.record(flaky, "server_error", Duration.ofMillis(5));
        }

        assertThat(pool.status().getFirst().state()).isEqualTo("circuit_open");
        for (int i = 0; i < 4; i++) {
            try (AccountPool.Lease lease = pool.acquire("whisper-1")) {
                assertThat(lease.account()).isEqualTo(steady);
            }
        }
        pool.enable("flaky");
        assertThat(pool.status().getFirst().state()).isEqualTo("active");
    }

    /**
     * A sync that reads the fleet's view while this worker's own cooldown is still being written must not undo the
     * cooldown: the read sees the account as it was before the 429 (seen in CI: the same call's retry went to the
     * account that had just answered 429, and the job failed instead of waiting for the cooldown).
     */
    @Test
    void aSyncReadingWhileACooldownIsBeingWrittenDoesNotUndoIt() throws Exception {
        UpstreamAccount account = account("a", 4, 1, Map.of());
        GatedLedger ledger = new GatedLedger(new ProcessLedger(clock));
        AccountPool pool = new AccountPool(
                List.of(account), clock, Duration.ZERO, ledger, "worker-1", SharingProperties.defaults());
        pool.sync();

        Thread cooling = Thread.ofVirtual().start(() -> pool.coolDown(account, NOW.plusSeconds(120)));
        ledger.writing.await(); // the cooldown is this worker's, not yet the fleet's
        pool.sync(); // reads the fleet's view from before the 429
        ledger.written.countDown();
        cooling.join();

        assertThatThrownBy(() -> pool.acquire("whisper-1"))
                .as("the account still cools down after the sync")
                .isInstanceOf(AllAccountsCoolingException.class);
        pool.sync();
        assertThatThrownBy(() -> pool.acquire("whisper-1")).isInstanceOf(AllAccountsCoolingException.class);
    }

    /**
     * An operator's re-enable made on another instance before this worker's 429, and read by this worker only while
     * its cooldown is still being written, must not clear that newer cooldown (seen in CI: the console test's job
     * failed because its retry went straight back to the account that had just answered 429).
     */
    @Test
    void anEarlierReEnableReadLateDoesNotClearANewerCooldown() throws Exception {
        UpstreamAccount account = account("a", 4, 1, Map.of());
        GatedLedger ledger = new GatedLedger(new ProcessLedger(clock));
        AccountPool pool = new AccountPool(
                List.of(account), clock, Duration.ZERO, ledger, "worker-1", SharingProperties.defaults());
        pool.sync();
        ledger.enable("a"); // another instance's operator, before the 429; this worker has not read it yet

        Thread cooling = Thread.ofVirtual().start(() -> pool.coolDown(account, NOW.plusSeconds(120)));
        ledger.writing.await();
        pool.sync(); // reads the re-enable, and no cooldown yet
        assertThatThrownBy(() -> pool.acquire("whisper-1"))
                .as("cooling while its cooldown is being written")
                .isInstanceOf(AllAccountsCoolingException.class);
        ledger.written.countDown();
        cooling.join();

        pool.sync();
        assertThatThrownBy(() -> pool.acquire("whisper-1"))
                .as("cooling once the fleet has it")
                .isInstanceOf(AllAccountsCoolingException.class);
    }

    /** A ledger whose cooldown write waits until the test lets it go. */
    private static final class GatedLedger implements AccountLedger {
        private final AccountLedger ledger;
        final java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);

        GatedLedger(AccountLedger ledger) {
            this.ledger = ledger;
        }

        @Override
        public void coolDown(String accountId, Instant until) {
            writing.countDown();
            try {
                written.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            ledger.coolDown(accountId, until);
        }

        @Override
        public void register(UpstreamAccount account) {
            ledger.register(account);
        }

        @Override
        public java.util.OptionalInt claimSlot(String accountId, String holder, int keepFree) {
            return ledger.claimSlot(accountId, holder, keepFree);
        }

        @Override
        public void releaseSlots(String accountId, String holder, java.util.Collection<Integer> slots) {
            ledger.releaseSlots(accountId, holder, slots);
        }

        @Override
        public Map<String, java.util.Set<Integer>> renew(
                String holder, Map<String, ? extends java.util.Collection<Integer>> slots) {
            return ledger.renew(holder, slots);
        }

        @Override
        public java.util.Optional<Instant> takeCallStart(String accountId, int perMinute) {
            return ledger.takeCallStart(accountId, perMinute);
        }

        @Override
        public void disable(String accountId, String keyFingerprint, String reason) {
            ledger.disable(accountId, keyFingerprint, reason);
        }

        @Override
        public void openCircuit(String accountId, Instant until) {
            ledger.openCircuit(accountId, until);
        }

        @Override
        public void enable(String accountId) {
            ledger.enable(accountId);
        }

        @Override
        public void addCalls(String accountId, long successes, Map<String, Long> failures) {
            ledger.addCalls(accountId, successes, failures);
        }

        @Override
        public Map<String, Shared> read(String holder) {
            return ledger.read(holder);
        }
    }

    @Test
    void rateLimitHeadersAreRead() {
        assertThat(RateLimitHeaders.goDuration("6m0s")).contains(Duration.ofMinutes(6));
        assertThat(RateLimitHeaders.goDuration("1.5s")).contains(Duration.ofMillis(1500));
        assertThat(RateLimitHeaders.goDuration("20ms")).contains(Duration.ofMillis(20));
        assertThat(RateLimitHeaders.goDuration("soon")).isEmpty();
    }

    private static UpstreamAccount paced(String id, int requestsPerMinute) {
        return new UpstreamAccount(
                id,
                AccountsProperties.ProviderKind.OPENAI,
                "http://127.0.0.1:1/v1",
                "k",
                Map.of(),
                1,
                8,
                requestsPerMinute,
                null);
    }

    /** A clock the test moves on. */
    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static UpstreamAccount account(String id, int maxConcurrency, double weight, Map<String, String> models) {
        return new UpstreamAccount(
                id,
                AccountsProperties.ProviderKind.OPENAI,
                "http://127.0.0.1:1/v1",
                "key-" + id,
                models,
                weight,
                maxConcurrency,
                0,
                null);
    }
}
