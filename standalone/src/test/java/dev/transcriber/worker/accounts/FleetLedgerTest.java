package dev.transcriber.worker.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.TestSystem;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** The fleet's ledger of upstream accounts on a real PostgreSQL, as several workers use it at once. */
class FleetLedgerTest {

    private FleetLedger ledger;
    private String account;

    @BeforeEach
    void ledger() {
        ConfigurableApplicationContext worker = TestSystem.embedded().worker();
        ledger = new FleetLedger(
                JdbcClient.create(worker.getBean(DataSource.class)),
                new TransactionTemplate(worker.getBean(PlatformTransactionManager.class)),
                Duration.ofSeconds(1),
                Duration.ofSeconds(2));
        account = "ledger-" + UUID.randomUUID();
        ledger.register(account(account, 2));
    }

    @Test
    void slotsAreAsManyAsTheAccountsLimitAndADeadHoldersComeBackAfterTheirLease() {
        assertThat(ledger.claimSlot(account, "worker-a", 0)).isPresent();
        assertThat(ledger.claimSlot(account, "worker-b", 0)).isPresent();
        assertThat(ledger.claimSlot(account, "worker-c", 0)).isEmpty();
        assertThat(ledger.read("worker-a").get(account).othersWaiting()).isTrue(); // c waits
        assertThat(ledger.read("worker-c").get(account).othersWaiting()).isFalse();
        assertThat(ledger.read("worker-a").get(account).slotsHeld()).isEqualTo(2);

        // worker-a renews its slot, worker-b does not (it died): b's slot is free once its lease ends, a's is not
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    ledger.renew("worker-a", Map.of(account, heldBy("worker-a")));
                    return ledger.claimSlot(account, "worker-c", 0).isPresent();
                });
        assertThat(ledger.claimSlot(account, "worker-d", 0)).isEmpty();
    }

    @Test
    void aClaimLeavesTheReserveOfTheLanesAboveAndRenewingGivesBackWhatTheHolderNoLongerKeeps() {
        ledger.register(account(account, 4));
        OptionalInt first = ledger.claimSlot(account, "worker-a", 1);
        assertThat(first).isPresent();
        assertThat(ledger.claimSlot(account, "worker-a", 1)).isPresent();
        assertThat(ledger.claimSlot(account, "worker-a", 1)).isPresent();
        assertThat(ledger.claimSlot(account, "worker-a", 1)).isEmpty(); // the last slot is the reserve
        assertThat(ledger.claimSlot(account, "worker-b", 0)).isPresent();

        Map<String, Set<Integer>> kept = ledger.renew("worker-a", Map.of(account, List.of(first.getAsInt())));

        assertThat(kept).isEqualTo(Map.of(account, Set.of(first.getAsInt())));
        assertThat(ledger.read("worker-a").get(account).slotsHeld()).isEqualTo(2);
    }

    @Test
    void theWindowOfRequestsPerMinuteIsTheFleetsEvenWhenWorkersRace() throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Optional<Instant>>> starts = java.util.stream.IntStream.range(0, 30)
                    .mapToObj(i -> (Callable<Optional<Instant>>) () -> ledger.takeCallStart(account, 7))
                    .toList();
            List<Optional<Instant>> outcomes = workers.invokeAll(starts, 60, TimeUnit.SECONDS).stream()
                    .map(FleetLedgerTest::get)
                    .toList();
            assertThat(outcomes.stream().filter(Optional::isEmpty)).hasSize(7);
            assertThat(outcomes.stream().flatMap(Optional::stream))
                    .hasSize(23)
                    .allSatisfy(next -> assertThat(next)
                            .isBetween(
                                    Instant.now().plusSeconds(50), Instant.now().plusSeconds(61)));
        } finally {
            workers.shutdownNow();
        }
    }

    @Test
    void aCooldownOnlyGrowsAndAReEnableClearsEverythingAndIsCounted() {
        Instant later = Instant.now().plusSeconds(60);
        ledger.coolDown(account, later);
        ledger.coolDown(account, Instant.now().plusSeconds(5));
        ledger.disable(account, account(account, 2).keyFingerprint(), "HTTP 401: bad key");
        ledger.openCircuit(account, Instant.now().plusSeconds(30));
        ledger.addCalls(account, 3, Map.of("server_error", 2L));
        ledger.addCalls(account, 1, Map.of("server_error", 1L, "timeout", 1L));

        AccountLedger.Shared shared = ledger.read("worker-a").get(account);
        assertThat(shared.coolingUntil()).isCloseTo(later, within());
        assertThat(shared.disabledReason()).isEqualTo("HTTP 401: bad key");
        assertThat(shared.circuitOpenUntil()).isNotNull();
        assertThat(shared.successes()).isEqualTo(4);
        assertThat(shared.failures()).isEqualTo(Map.of("server_error", 3L, "timeout", 1L));

        ledger.enable(account);
        AccountLedger.Shared enabled = ledger.read("worker-a").get(account);
        assertThat(enabled.coolingUntil()).isNull();
        assertThat(enabled.disabledReason()).isNull();
        assertThat(enabled.circuitOpenUntil()).isNull();
        assertThat(enabled.resets()).isEqualTo(shared.resets() + 1);
    }

    @Test
    void anAccountDisabledForItsKeyIsUsableAgainOnceAWorkerStartsWithAnotherKey() {
        // the operator replaced a refused key: the account's id (by its place, for the OPENAI_API_KEY shortcut) is
        // the same, its key is not
        UpstreamAccount refused = account(account, 2, "sk-revoked");
        ledger.register(refused);
        AccountPool pool = pool(refused, "w");
        pool.disable(refused, "HTTP 401: Incorrect API key provided");
        ledger.register(refused); // a worker that starts again with the same key: still disabled
        assertThat(ledger.read("worker-a").get(account).disabledReason()).isNotNull();

        ledger.register(account(account, 2, "sk-new"));

        assertThat(ledger.read("worker-a").get(account).disabledReason()).isNull();
    }

    @Test
    void duringAKeysRotationAWorkerWithTheNewKeyIsNotHeldToTheOldKeysRefusal() {
        // the fleet rolls from sk-old to sk-new: a worker still on sk-old hears 401 after a new-key worker started
        UpstreamAccount newKey = account(account, 2, "sk-new");
        UpstreamAccount oldKey = account(account, 2, "sk-old");
        AccountPool rotated = pool(newKey, "w-new");
        AccountPool lagging = pool(oldKey, "w-old");
        rotated.sync();
        lagging.sync();

        lagging.disable(oldKey, "HTTP 401: Incorrect API key provided");
        rotated.sync();
        lagging.sync();

        assertThat(rotated.status().getFirst().state())
                .as("the new key's worker")
                .isNotEqualTo("disabled");
        assertThat(lagging.status().getFirst().state())
                .as("the old key's worker")
                .isEqualTo("disabled");
    }

    @Test
    void aSlotClaimedWhileARenewalIsUnderWayStaysTheClaimersAfterIt() throws Exception {
        // the renewal gives back every slot of its worker that it does not name: one claimed after it looked at the
        // slots held, and committed before its statement, must not be given back while its call goes on
        java.util.concurrent.CountDownLatch renewing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch renew = new java.util.concurrent.CountDownLatch(1);
        AccountLedger gated = (AccountLedger) java.lang.reflect.Proxy.newProxyInstance(
                AccountLedger.class.getClassLoader(), new Class<?>[] {AccountLedger.class}, (proxy, method, args) -> {
                    if (method.getName().equals("renew")) {
                        renewing.countDown();
                        renew.await();
                    }
                    try {
                        return method.invoke(ledger, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        SharingProperties renewEachSync = new SharingProperties(
                Duration.ofMillis(500),
                Duration.ZERO,
                Duration.ofSeconds(2),
                Duration.ofMillis(200),
                Duration.ofSeconds(10));
        AccountPool pool = new AccountPool(
                List.of(account(account, 2)), java.time.Clock.systemUTC(), Duration.ZERO, gated, "w", renewEachSync);

        Thread syncing = Thread.ofPlatform().start(pool::sync);
        renewing.await();
        java.util.concurrent.CompletableFuture<AccountPool.Lease> call =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> pool.acquire("whisper-1"));
        // the call has its slot, or waits for the renewal to end before claiming one
        await().atMost(Duration.ofSeconds(10))
                .until(() -> call.isDone() || heldBy("w").isEmpty() && waits(call));
        renew.countDown();
        syncing.join();

        try (AccountPool.Lease lease = call.get(10, TimeUnit.SECONDS)) {
            assertThat(heldBy("w")).as("the call's slot, in the fleet's ledger").hasSize(1);
        }
    }

    /** True once {@code call} is not running on a carrier: parked waiting (or done). */
    private static boolean waits(java.util.concurrent.CompletableFuture<?> call) {
        return call.isDone()
                || Thread.getAllStackTraces().entrySet().stream()
                        .filter(e -> e.getKey().getState() == Thread.State.WAITING)
                        .anyMatch(e -> java.util.Arrays.stream(e.getValue())
                                .anyMatch(frame -> frame.getMethodName().equals("claim")
                                        && frame.getClassName().endsWith("AccountPool")));
    }

    /** A worker's pool of {@code account} alone, known in the ledger as {@code holder}. */
    private AccountPool pool(UpstreamAccount account, String holder) {
        return new AccountPool(
                List.of(account),
                java.time.Clock.systemUTC(),
                Duration.ZERO,
                ledger,
                holder,
                SharingProperties.defaults());
    }

    private List<Integer> heldBy(String holder) {
        return JdbcClient.create(TestSystem.embedded().worker().getBean(DataSource.class))
                .sql("select slot from upstream_slots where account_id = :id and holder = :holder")
                .param("id", account)
                .param("holder", holder)
                .query(Integer.class)
                .list();
    }

    private static org.assertj.core.data.TemporalUnitOffset within() {
        return org.assertj.core.api.Assertions.within(1, java.time.temporal.ChronoUnit.SECONDS);
    }

    private static <T> T get(Future<T> future) {
        try {
            return future.get(0, TimeUnit.SECONDS); // invokeAll's deadline passed: a task not done is cancelled
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static UpstreamAccount account(String id, int maxConcurrency) {
        return account(id, maxConcurrency, "k");
    }

    private static UpstreamAccount account(String id, int maxConcurrency, String key) {
        return new UpstreamAccount(
                id,
                AccountsProperties.ProviderKind.OPENAI,
                "http://127.0.0.1:9",
                key,
                Map.of(),
                1,
                maxConcurrency,
                0,
                null);
    }
}
