package dev.transcriber.worker.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When a worker reads the fleet's view of the accounts: often while it makes calls, and not at all while quiet. */
class AccountSyncTest {

    private static final Duration SYNC = Duration.ofMillis(50);
    private static final Duration QUIET_SYNC = Duration.ofHours(1);

    private final CountingPool pool = new CountingPool();
    private final AccountSync sync = new AccountSync(
            pool, new SharingProperties(SYNC, Duration.ofSeconds(30), Duration.ofMillis(100), SYNC, QUIET_SYNC));

    @AfterEach
    void stop() {
        sync.stop();
    }

    @Test
    void aQuietWorkerSyncsAtStartAndThenOnlyOnceACallStarts() {
        sync.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> pool.syncs.get() == 1);
        // twenty sync intervals with nothing to do: no sync (every interval, it used to look)
        await().during(SYNC.multipliedBy(20)).atMost(Duration.ofSeconds(5)).until(() -> pool.syncs.get() == 1);

        long callStarted = System.nanoTime();
        AccountPool.Lease lease = pool.acquire("whisper-1");

        await().atMost(Duration.ofSeconds(5)).until(() -> pool.syncs.get() >= 5); // while the call runs
        // ... once a sync interval, not in a loop without a pause
        long intervals = (System.nanoTime() - callStarted) / SYNC.toNanos();
        assertThat(pool.syncs.get()).isLessThanOrEqualTo(1 + (int) intervals + 1);
        pool.record(lease.account(), "success", Duration.ofMillis(20));
        lease.close();
        // the call is reported and its slot given back after the linger; then the worker is quiet again
        await().atMost(Duration.ofSeconds(5)).until(pool::quiet);
        int settled = pool.syncs.get();
        await().during(SYNC.multipliedBy(20))
                .atMost(Duration.ofSeconds(5))
                .until(() -> pool.syncs.get() <= settled + 1); // at most the run that found it quiet
    }

    @Test
    void aQuietWorkerReadsAnotherWorkersChangeWithinASyncInterval() {
        sync.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> pool.syncs.get() == 1);

        sync.fleetChanged();

        await().atMost(Duration.ofSeconds(5)).until(() -> pool.syncs.get() == 2);
        assertThat(pool.quiet()).isTrue();
    }

    @Test
    void aWorkerWhoseCallFoundTheFleetFullIsQuietOnceTheCallHasGone() {
        ProcessLedger fleet = new ProcessLedger(Clock.systemUTC());
        CountingPool holder = new CountingPool(fleet, "worker-a");
        CountingPool other = new CountingPool(fleet, "worker-b");
        AccountPool.Lease first = holder.acquire("whisper-1");
        AccountPool.Lease second = holder.acquire("whisper-1"); // both of the account's slots
        assertThatThrownBy(() -> other.acquire("whisper-1")).isInstanceOf(NoAccountsException.class);

        other.sync();

        // its waiter row in the fleet's ledger expires by itself; nothing of this worker is left to sync
        assertThat(other.quiet()).isTrue();
        first.close();
        second.close();
    }

    @Test
    void aCooldownTheFleetKeptFromBeforeItsCapIsReadAsADayAtMost() {
        // an upstream's Retry-After of the year 9999, stored before cooldowns were capped, kept the account cooling
        // for ever (every worker read it back at each sync)
        ProcessLedger fleet = new ProcessLedger(Clock.systemUTC());
        CountingPool reader = new CountingPool(fleet, "worker-a");
        reader.sync(); // the account is in the fleet's view from its first sync
        fleet.coolDown("a", java.time.Instant.parse("9999-12-31T23:59:59Z"));

        reader.sync();

        assertThat(reader.status().getFirst().coolingUntil())
                .isBefore(java.time.Instant.now().plus(Duration.ofHours(25)))
                .isAfter(java.time.Instant.now().plus(Duration.ofHours(23)));
    }

    private static final class CountingPool extends AccountPool {

        final AtomicInteger syncs = new AtomicInteger();

        CountingPool() {
            this(new ProcessLedger(Clock.systemUTC()), "worker-1");
        }

        CountingPool(AccountLedger fleet, String holder) {
            super(
                    List.of(new UpstreamAccount(
                            "a",
                            AccountsProperties.ProviderKind.OPENAI,
                            "http://127.0.0.1:1/v1",
                            "key-a",
                            Map.of(),
                            1,
                            2,
                            0,
                            null)),
                    Clock.systemUTC(),
                    Duration.ZERO,
                    fleet,
                    holder,
                    new SharingProperties(SYNC, Duration.ofSeconds(30), Duration.ofMillis(100), SYNC, QUIET_SYNC));
        }

        @Override
        public void sync() {
            syncs.incrementAndGet();
            super.sync();
        }
    }
}
