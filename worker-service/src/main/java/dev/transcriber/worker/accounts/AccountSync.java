package dev.transcriber.worker.accounts;

import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Doorbell;
import dev.transcriber.common.wakeup.Wakeups;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Keeps this worker's view of the accounts in step with the fleet's ({@link AccountPool#syncUnlessQuiet}), and gives
 * its call slots back when it stops (after the job listeners and the jobs' hand-back).
 *
 * <p>A doorbell of its own runs the sync: every {@code sync-interval} while the worker makes calls (or has any left to
 * report), and while it is quiet only when a call starts asking for a slot, when another worker changed an account
 * (told through {@link Channel#ACCOUNTS}), or every {@code quiet-sync-interval}. A quiet worker does not wake twice a
 * second to find it has nothing to do. The doorbell runs until this stops, so the slots of calls still running while
 * the worker drains stay renewed.
 */
@Component
class AccountSync implements SmartLifecycle {

    private final AccountPool pool;
    private final SharingProperties sharing;
    private final Doorbell doorbell;
    private volatile boolean running;

    @Autowired
    AccountSync(AccountPool pool, SharingProperties sharing, Wakeups wakeups) {
        this(pool, sharing);
        wakeups.subscribe(Channel.ACCOUNTS, this::fleetChanged);
    }

    /** Without the fleet's notifications (tests): {@link #fleetChanged} is then called directly. */
    AccountSync(AccountPool pool, SharingProperties sharing) {
        this.pool = pool;
        this.sharing = sharing;
        // a quiet interval of zero means no quiet: every sync interval, as while calls run
        this.doorbell = new Doorbell(
                "account-sync",
                sharing.quietSyncInterval().isPositive() ? sharing.quietSyncInterval() : sharing.syncInterval(),
                this::sync);
        pool.onAcquire(this::soon);
    }

    /** Another worker changed an account: read it within a sync interval. */
    void fleetChanged() {
        pool.fleetChanged();
        soon();
    }

    private void soon() {
        doorbell.ringWithin(sharing.syncInterval());
    }

    private void sync() {
        try {
            pool.syncUnlessQuiet(sharing.quietSyncInterval());
        } finally {
            if (!pool.quiet()) {
                soon();
            }
        }
    }

    @Override
    public void start() {
        running = true;
        doorbell.start();
    }

    @Override
    public void stop() {
        running = false;
        doorbell.close();
        pool.releaseAll();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops after the Kafka listener containers, the jobs' hand-back and the web server's graceful stop. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 1000;
    }
}
