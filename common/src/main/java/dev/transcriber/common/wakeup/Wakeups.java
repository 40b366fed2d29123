package dev.transcriber.common.wakeup;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;

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
 * <p>A notifying transaction takes PostgreSQL's notification lock from its commit until it ends, so notifying commits
 * are serialised with each other: only transactions that write something a doorbell waits for notify, never the plain
 * path of a job.
 */
public class Wakeups implements SmartLifecycle {

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
     * Notifies {@code channel} in the current transaction (delivered when it commits, not at all if it rolls back); with
     * no transaction, at once.
     */
    public void notify(Channel channel) {
        jdbc.sql("select pg_notify(:channel, '')")
                .param("channel", channel.channel())
                .query()
                .listOfRows();
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
