package dev.transcriber.worker.accounts;

import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Keeps this worker's view of the accounts in step with the fleet's ({@link AccountPool#sync}), and gives its call
 * slots back when it stops (after the job listeners, so no call is still running on them).
 */
@Component
class AccountSync implements SmartLifecycle {

    private final AccountPool pool;
    private volatile boolean running;

    AccountSync(AccountPool pool) {
        this.pool = pool;
    }

    @Scheduled(fixedDelayString = "${transcriber.upstream.sharing.sync-interval:500ms}")
    void sync() {
        if (running) {
            pool.sync();
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
