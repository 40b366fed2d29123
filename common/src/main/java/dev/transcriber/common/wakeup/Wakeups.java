package dev.transcriber.common.wakeup;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Event-driven wake-ups instead of short polling. A service makes a {@link Doorbell} for each background task (the
 * admission scheduler, the batch expander, the webhook sender, the outbox relay), rung by the PostgreSQL channels it
 * names, and the writers of the rows that task looks for {@link #notify} the channel in the same transaction. The
 * notification reaches every instance (the writer's own too) once that transaction commits; a doorbell also runs at
 * its fallback interval, so a notification lost (the listener reconnecting, a writer that forgot) costs at most that
 * interval, never the work: the database stays the truth, the notification only says "look now".
 *
 * <p>Doorbells start with the context, after everything else, and stop first when it closes, as the scheduled tasks
 * they replace did; the listener's connection closes with them. Create doorbells and subscriptions while the context
 * is built (in a bean's constructor).
 *
 * <p>A notifying transaction takes PostgreSQL's notification lock from its commit until it ends (its commit record's
 * flush included), so notifying commits are serialised with each other: only transactions that write something a
 * doorbell waits for notify, and those that end a job a request may be held for or one of its pieces
 * ({@link Channel#ENDS}, {@link Channel#PROGRESS}); a sync job's usual end, one statement on its own, is followed by a
 * notification of its own that waits for no flush ({@link #notifyNow}). PostgreSQL 14 (the local mode's) wakes every
 * listening session of the database at each notification and filters by channel after, so each costs a small
 * transaction per listening service instance.
 */
public class Wakeups implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Wakeups.class);

    /**
     * The longest payload PostgreSQL takes, in bytes of the database's encoding: shorter than 8,000 (with its default
     * page size of 8 KiB). Payloads are measured in UTF-8, which is at least as long as their form in UTF-8, LATIN1 or
     * SQL_ASCII databases.
     */
    public static final int MAX_PAYLOAD_BYTES = 7999;

    private final PostgresNotifications notifications;
    private final JdbcClient jdbc;
    private final List<Doorbell> doorbells = new CopyOnWriteArrayList<>();
    private volatile boolean running;

    public Wakeups(PostgresNotifications notifications, JdbcClient jdbc) {
        this.notifications = notifications;
        this.jdbc = jdbc;
    }

    /**
     * A doorbell that runs {@code task} when any of {@code channels} is notified, when {@link Doorbell#ring rung}, and
     * at the latest {@code fallback} after its last run; started and closed with the context.
     */
    public Doorbell doorbell(String name, Duration fallback, Runnable task, Channel... channels) {
        Doorbell doorbell = new Doorbell(name, fallback, task);
        for (Channel channel : channels) {
            subscribe(channel, doorbell::ring);
        }
        doorbells.add(doorbell);
        if (running) {
            doorbell.start();
        }
        return doorbell;
    }

    /**
     * Runs {@code onNotify} on the listener's thread for every notification of {@code channel}, and after the listener
     * reconnects; it must be quick and must not block.
     */
    public void subscribe(Channel channel, Runnable onNotify) {
        notifications.subscribe(channel.channel(), onNotify);
    }

    /**
     * As {@link #subscribe(Channel, Runnable)}, with each notification's payload; null when the listener reconnects
     * (notifications sent meanwhile were lost).
     */
    public void subscribe(Channel channel, Consumer<String> onNotify) {
        notifications.subscribe(channel.channel(), onNotify);
    }

    /**
     * Notifies {@code channel} in the current transaction (delivered when it commits, not at all if it rolls back); with
     * no transaction, at once.
     */
    public void notify(Channel channel) {
        notify(channel, "");
    }

    /**
     * As {@link #notify(Channel)}, with {@code payload} (at most {@link #MAX_PAYLOAD_BYTES} in the database's
     * encoding, or PostgreSQL refuses it).
     */
    public void notify(Channel channel, String payload) {
        jdbc.sql("select pg_notify(:channel, :payload)")
                .param("channel", channel.channel())
                .param("payload", payload)
                .query()
                .listOfRows();
    }

    /**
     * Notifies {@code channel} with {@code payload} outside any transaction, by a statement of its own that commits
     * without waiting for its commit record to reach the disk ({@code synchronous_commit} off for it alone): it writes
     * nothing that must survive a crash (PostgreSQL keeps no notification across a restart), and a notifying commit
     * holds PostgreSQL's notification lock until it ends, so it holds it for no flush. For a notice whose readers also
     * find what it says in the database: a failure is logged, never thrown (the change it tells of stands).
     *
     * @throws IllegalStateException in a transaction (whose own commit must stay synchronous)
     */
    public void notifyNow(Channel channel, String payload) {
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("notifyNow in a transaction: use notify, which is sent when it commits");
        }
        try {
            jdbc.sql("select set_config('synchronous_commit', 'off', true), pg_notify(:channel, :payload)")
                    .param("channel", channel.channel())
                    .param("payload", payload)
                    .query()
                    .listOfRows();
        } catch (RuntimeException e) {
            log.warn(
                    "a notice on {} was not sent ({}); its readers find what it says in the database",
                    channel,
                    e.toString());
        }
    }

    /** Whether the listener's connection listens now (tests wait for it before they notify). */
    public boolean isListening() {
        return notifications.isListening();
    }

    @Override
    public void start() {
        notifications.start();
        running = true;
        doorbells.forEach(Doorbell::start);
    }

    /** Closes every doorbell at once (each waits a moment for its run under way), then the listener. */
    @Override
    public void stop() {
        running = false;
        try (ExecutorService closing = Executors.newVirtualThreadPerTaskExecutor()) {
            doorbells.forEach(doorbell -> closing.submit(doorbell::close));
        }
        notifications.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Last to start, first to stop, as the scheduler of {@code @Scheduled} tasks. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
