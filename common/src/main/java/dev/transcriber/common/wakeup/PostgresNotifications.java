package dev.transcriber.common.wakeup;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LISTEN} on a connection of its own, one thread: each notification runs the subscribers of its channel (quick,
 * non-blocking work, such as {@link Doorbell#ring}). The thread waits in the driver ({@code getNotifications} with a
 * timeout) and costs nothing while nothing is sent; after {@code check} without a notification it sends one trivial
 * query, so a connection that died silently is noticed. A lost connection (PostgreSQL restarted, the backend
 * terminated) is opened again with back-off, from {@code retry} doubling up to {@code maxRetry}; once it listens again
 * every subscriber is run, since notifications sent meanwhile were lost. {@link #close} aborts the connection, which
 * ends the wait at once.
 */
public final class PostgresNotifications implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresNotifications.class);
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final Duration CLOSE_PATIENCE = Duration.ofSeconds(10);

    /** Opens the dedicated connection. */
    @FunctionalInterface
    public interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private final int checkMillis;
    private final long retryNanos;
    private final long maxRetryNanos;
    private final Map<String, List<Runnable>> subscribers = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition closing = lock.newCondition();
    private final Thread thread;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile boolean listening;
    private volatile Connection current;

    public PostgresNotifications(Connector connector, Duration check, Duration retry, Duration maxRetry) {
        this.connector = connector;
        this.checkMillis = (int) Math.clamp(check.toMillis(), 1, Integer.MAX_VALUE);
        this.retryNanos = Math.max(1, retry.toNanos());
        this.maxRetryNanos = Math.max(retryNanos, maxRetry.toNanos());
        this.thread = Thread.ofPlatform().name("wakeup-listen").daemon(true).unstarted(this::loop);
    }

    /** Runs {@code onNotify} on every notification of {@code channel}. Subscribe before {@link #start}. */
    public void subscribe(String channel, Runnable onNotify) {
        if (!CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("not a plain channel name: " + channel);
        }
        lock.lock();
        try {
            if (started) {
                throw new IllegalStateException("subscribe to " + channel + " before the listener starts");
            }
            subscribers.computeIfAbsent(channel, c -> new ArrayList<>()).add(onNotify);
        } finally {
            lock.unlock();
        }
    }

    public void start() {
        lock.lock();
        try {
            if (started || closed) {
                return;
            }
            started = true;
        } finally {
            lock.unlock();
        }
        thread.start();
    }

    /**
     * Whether the connection is open and listens on every channel now (its subscribers were run when it began to:
     * notifications sent before that were not heard).
     */
    public boolean isListening() {
        return listening;
    }

    /** Whether the thread is alive (started and not yet ended by {@link #close}). */
    public boolean isAlive() {
        return thread.isAlive();
    }

    private void loop() {
        long retry = retryNanos;
        boolean failing = false;
        while (!closed) {
            Connection connection = null;
            try {
                connection = connector.connect();
                current = connection;
                if (closed) {
                    break;
                }
                try (Statement statement = connection.createStatement()) {
                    for (String channel : subscribers.keySet()) {
                        statement.execute("LISTEN " + channel);
                    }
                }
                PGConnection notifications = connection.unwrap(PGConnection.class);
                if (failing) {
                    log.info("listening to PostgreSQL notifications again");
                }
                failing = false;
                retry = retryNanos;
                subscribers.values().forEach(list -> list.forEach(this::run)); // what was sent meanwhile is lost
                listening = true;
                while (!closed) {
                    PGNotification[] received = notifications.getNotifications(checkMillis);
                    if (received == null || received.length == 0) {
                        try (Statement statement = connection.createStatement()) {
                            statement.execute("select 1");
                        }
                        continue;
                    }
                    for (PGNotification notification : received) {
                        subscribers
                                .getOrDefault(notification.getName(), List.of())
                                .forEach(this::run);
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    break;
                }
                if (!failing) {
                    log.warn(
                            "not listening to PostgreSQL notifications ({}); trying again, at first in {} ms (work is"
                                    + " still picked up at each fallback interval meanwhile)",
                            e.toString(),
                            retry / 1_000_000);
                }
                failing = true;
            } finally {
                listening = false;
                current = null;
                closeQuietly(connection);
            }
            pause(retry);
            retry = Math.min(retry * 2, maxRetryNanos);
        }
    }

    private void run(Runnable subscriber) {
        try {
            subscriber.run();
        } catch (RuntimeException e) {
            log.error("a notification's subscriber failed", e);
        }
    }

    private void pause(long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (!closed && left > 0) {
                left = closing.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            // only close interrupts
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException | RuntimeException e) {
            // gone already
        }
    }

    /** Stops listening: the connection is aborted (its wait ends at once) and the thread ends. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            closing.signalAll();
        } finally {
            lock.unlock();
        }
        Connection connection = current;
        if (connection != null) {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException | RuntimeException e) {
                // closing anyway
            }
        }
        if (!thread.isAlive()) {
            return;
        }
        try {
            if (!thread.join(CLOSE_PATIENCE)) {
                thread.interrupt();
                log.warn("the notification listener did not stop within {}", CLOSE_PATIENCE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
