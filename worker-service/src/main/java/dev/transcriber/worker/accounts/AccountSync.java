package dev.transcriber.worker.accounts;

import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Keeps this worker's view of the accounts in step with the fleet's ({@link AccountPool#syncUnlessQuiet}: every
 * {@code sync-interval} while it makes calls, and while it is quiet only when another worker changed an account, told
 * through {@link Channel#ACCOUNTS}, or every {@code quiet-sync-interval}), and gives its call slots back when it stops
 * (after the job listeners, so no call is still running on them).
 */
@Component
class AccountSync implements SmartLifecycle {

    private final AccountPool pool;
    private final SharingProperties sharing;
    private volatile boolean running;

    AccountSync(AccountPool pool, SharingProperties sharing, Wakeups wakeups) {
        this.pool = pool;
        this.sharing = sharing;
        wakeups.subscribe(Channel.ACCOUNTS, pool::fleetChanged);
    }

    @Scheduled(fixedDelayString = "${transcriber.upstream.sharing.sync-interval:500ms}")
    void sync() {
        if (running) {
            pool.syncUnlessQuiet(sharing.quietSyncInterval());
        }
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        pool.releaseAll();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the Kafka listener containers and the scheduler's phase, after the web server's graceful stop. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 1000;
    }
}
