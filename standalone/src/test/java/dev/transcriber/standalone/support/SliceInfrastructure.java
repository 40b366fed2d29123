package dev.transcriber.standalone.support;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.infra.LocalKafka;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.FileSystemUtils;

/**
 * Real infrastructure for slice tests, far cheaper than the whole system ({@link TestSystem}): one embedded
 * PostgreSQL per test JVM (the build's binaries, on a free port), a fresh database per test class with the
 * project's Flyway migrations applied (copied from a template migrated once), and one embedded KRaft broker per
 * test JVM, started only when a test asks for it. A slice test builds the class under test from these with its
 * real collaborators; nothing else starts.
 */
public final class SliceInfrastructure {

    private static final String TEMPLATE = "slice_template";
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private static EmbeddedPostgres postgres;
    private static LocalKafka kafka;

    private SliceInfrastructure() {}

    /** A new database named after {@code purpose}, at this build's schema; close it when the test class ends. */
    public static Database database(String purpose) {
        EmbeddedPostgres server = postgres();
        String name = purpose.toLowerCase().replaceAll("[^a-z0-9]", "_") + "_" + DATABASES.incrementAndGet();
        execute(server.getPostgresDatabase(), "create database " + name + " template " + TEMPLATE);
        return new Database(server, name);
    }

    /** The bootstrap servers of the test JVM's broker (one node, topics created on first use with one partition). */
    public static synchronized String kafkaBootstrapServers() {
        if (kafka == null) {
            try {
                Path log = Files.createTempDirectory("slice-kafka");
                LocalKafka started = LocalKafka.start(log, FreePorts.pick(), FreePorts.pick());
                Runtime.getRuntime()
                        .addShutdownHook(new Thread(
                                () -> {
                                    started.close();
                                    FileSystemUtils.deleteRecursively(log.toFile());
                                },
                                "slice-kafka-stop"));
                kafka = started;
            } catch (IOException e) {
                throw new IllegalStateException("could not start the embedded Kafka broker", e);
            }
        }
        return kafka.bootstrapServers();
    }

    private static synchronized EmbeddedPostgres postgres() {
        if (postgres == null) {
            try {
                // the library's settings for tests: fsync and synchronous commit off, a shutdown hook that stops it
                EmbeddedPostgres started = EmbeddedPostgres.builder()
                        .setDataDirectory(Files.createTempDirectory("slice-postgres"))
                        .setCleanDataDirectory(true)
                        .setServerConfig("max_connections", "300")
                        .start();
                execute(started.getPostgresDatabase(), "create database " + TEMPLATE);
                Flyway.configure()
                        .dataSource(started.getDatabase("postgres", TEMPLATE))
                        .locations("classpath:db/migration")
                        .load()
                        .migrate();
                postgres = started;
            } catch (IOException e) {
                throw new IllegalStateException("could not start the embedded PostgreSQL", e);
            }
        }
        return postgres;
    }

    private static void execute(DataSource dataSource, String sql) {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /**
     * One test class's database: a pool on it ({@link #dataSource}, as a service instance has), more pools for tests
     * that play several instances ({@link #newPool}), and the transactions of the first pool. Closing it closes the
     * pools and drops the database.
     */
    public static final class Database implements AutoCloseable {

        private final EmbeddedPostgres server;
        private final String name;
        private final List<HikariDataSource> pools = new ArrayList<>();
        private final HikariDataSource dataSource;
        private final JdbcTransactionManager transactionManager;

        private Database(EmbeddedPostgres server, String name) {
            this.server = server;
            this.name = name;
            this.dataSource = newPool(16);
            this.transactionManager = new JdbcTransactionManager(dataSource);
        }

        /** Another connection pool on the same database (another instance's); closed with this. */
        public synchronized HikariDataSource newPool(int size) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(jdbcUrl());
            config.setUsername(user());
            config.setPassword(password());
            config.setMaximumPoolSize(size);
            config.setMinimumIdle(0);
            config.setPoolName(name + "-" + (pools.size() + 1));
            HikariDataSource pool = new HikariDataSource(config);
            pools.add(pool);
            return pool;
        }

        public String name() {
            return name;
        }

        /** Where a service's own pool (a Spring context's {@code spring.datasource.*}) connects. */
        public String jdbcUrl() {
            return server.getJdbcUrl("postgres", name);
        }

        public String user() {
            return "postgres";
        }

        public String password() {
            return "postgres";
        }

        public DataSource dataSource() {
            return dataSource;
        }

        /** Statements on the first pool; inside {@link #transactions()} they join the transaction. */
        public JdbcClient jdbc() {
            return JdbcClient.create(dataSource);
        }

        /** A transaction manager on the first pool, as the services' own (JDBC; JPA joins the same connection). */
        public JdbcTransactionManager transactionManager() {
            return transactionManager;
        }

        /** A new template (set its propagation or isolation freely) on {@link #transactionManager()}. */
        public TransactionTemplate transactions() {
            return new TransactionTemplate(transactionManager);
        }

        @Override
        public synchronized void close() {
            pools.forEach(HikariDataSource::close);
            execute(server.getPostgresDatabase(), "drop database if exists " + name + " with (force)");
        }
    }
}
