package dev.transcriber.common.wakeup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.infra.LocalPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The listener against a real PostgreSQL: a notification from another connection rings the doorbell of its channel
 * once the writer's transaction commits (and never when it rolls back), and the listener comes back by itself after
 * its connection is killed, ringing every doorbell since it may have missed notifications meanwhile.
 */
class PostgresNotificationsTest {

    private static final Duration LONG = Duration.ofMinutes(10);

    @TempDir
    static Path data;

    private static LocalPostgres postgres;

    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        postgres = LocalPostgres.start(data, FreePorts.pick());
    }

    @AfterAll
    static void stop() throws IOException {
        postgres.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
    }

    private static Connection connect(String application) throws SQLException {
        Connection connection = DriverManager.getConnection(
                postgres.jdbcUrl() + "?ApplicationName=" + application, postgres.user(), postgres.password());
        connection.setAutoCommit(true);
        return connection;
    }

    private PostgresNotifications listener() {
        PostgresNotifications listener = new PostgresNotifications(
                () -> connect("wakeup-test"), Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(1));
        opened.add(listener);
        return listener;
    }

    private Doorbell doorbell(AtomicInteger runs) {
        Doorbell doorbell = new Doorbell("test", LONG, runs::incrementAndGet);
        opened.add(doorbell);
        return doorbell;
    }

    private static void notify(String channel) throws SQLException {
        try (Connection connection = connect("writer");
                Statement statement = connection.createStatement()) {
            statement.execute("select pg_notify('" + channel + "', '')");
        }
    }

    /**
     * Starts {@code doorbells} once {@code listener} listens, so the listener's first rings (every subscriber, when it
     * begins to listen) and each doorbell's first run are one run; returns when each has run once.
     */
    private static void startListening(
            PostgresNotifications listener, List<AtomicInteger> runs, Doorbell... doorbells) {
        listener.start();
        await().atMost(Duration.ofSeconds(10)).until(listener::isListening);
        for (Doorbell doorbell : doorbells) {
            doorbell.start();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.stream().allMatch(r -> r.get() == 1));
    }

    @Test
    void aNotificationFromAnotherConnectionRingsTheDoorbellOfItsChannelOnly() throws Exception {
        AtomicInteger admission = new AtomicInteger();
        AtomicInteger webhooks = new AtomicInteger();
        PostgresNotifications listener = listener();
        Doorbell admissionBell = doorbell(admission);
        Doorbell webhooksBell = doorbell(webhooks);
        listener.subscribe("transcriber_admission", admissionBell::ring);
        listener.subscribe("transcriber_webhooks", webhooksBell::ring);
        startListening(listener, List.of(admission, webhooks), admissionBell, webhooksBell);

        notify("transcriber_admission");

        await().atMost(Duration.ofSeconds(5)).until(() -> admission.get() == 2);
        await().during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(2))
                .until(() -> webhooks.get() == 1 && admission.get() == 2);
    }

    @Test
    void aWriterNotifiesWhenItsTransactionCommitsAndNotAtAllWhenItRollsBack() {
        AtomicInteger runs = new AtomicInteger();
        SimpleDriverDataSource dataSource = new SimpleDriverDataSource(
                new org.postgresql.Driver(), postgres.jdbcUrl(), postgres.user(), postgres.password());
        PostgresNotifications listener = listener();
        Wakeups wakeups = new Wakeups(listener, JdbcClient.create(dataSource));
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        Doorbell doorbell = wakeups.doorbell("test", LONG, runs::incrementAndGet, Channel.BATCHES);
        opened.add(doorbell);
        startListening(listener, List.of(runs), doorbell);

        transactions.executeWithoutResult(status -> {
            wakeups.notify(Channel.BATCHES);
            status.setRollbackOnly();
        });
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> runs.get() == 1);

        transactions.executeWithoutResult(status -> {
            wakeups.notify(Channel.BATCHES);
            wakeups.notify(Channel.BATCHES); // PostgreSQL sends the same notification of one transaction once
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 2);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> runs.get() == 2);
    }

    @Test
    void theListenerComesBackAfterItsConnectionIsKilledAndRingsEveryDoorbell() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        PostgresNotifications listener = listener();
        Doorbell doorbell = doorbell(runs);
        listener.subscribe("transcriber_batches", doorbell::ring);
        startListening(listener, List.of(runs), doorbell);

        try (Connection admin = connect("admin");
                Statement statement = admin.createStatement()) {
            statement.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                    + " where application_name = 'wakeup-test'");
        }

        // back by itself: what it may have missed meanwhile is looked at once
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 2);
        await().atMost(Duration.ofSeconds(10)).until(listener::isListening);
        notify("transcriber_batches");
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 3);
    }

    @Test
    void closeStopsTheListenerAtOnceThoughItWaitsForNotifications() {
        PostgresNotifications listener = listener();
        listener.subscribe("transcriber_webhooks", () -> {});
        listener.start();
        await().atMost(Duration.ofSeconds(10)).until(listener::isListening);

        long started = System.nanoTime();
        listener.close();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(listener.isListening()).isFalse();
        assertThat(listener.isAlive()).isFalse();
    }
}
