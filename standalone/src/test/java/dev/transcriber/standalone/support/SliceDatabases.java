package dev.transcriber.standalone.support;

import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.infra.LocalPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;

/**
 * Databases for slice tests: one real PostgreSQL per test JVM (the server the build starts for the local mode,
 * {@link LocalPostgres}), started on first use and stopped when the JVM ends, and a fresh database for each caller
 * (a test class). The project's Flyway migrations run once, on a template database; every fresh database is a copy of
 * it ({@code CREATE DATABASE … TEMPLATE}), which takes milliseconds where migrating again would take a second.
 */
public final class SliceDatabases {

    private static final String TEMPLATE = "slice_template";
    private static final AtomicInteger NEXT = new AtomicInteger();

    private static LocalPostgres postgres;

    private SliceDatabases() {}

    /** A new database with the project's schema, named after {@code name}; its JDBC URL. */
    public static synchronized String fresh(String name) {
        try {
            if (postgres == null) {
                start();
            }
            String database = "slice_" + name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_") + "_"
                    + NEXT.incrementAndGet();
            execute("create database " + database + " template " + TEMPLATE);
            return url(database);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create a database for " + name, e);
        }
    }

    public static String user() {
        return postgres.user();
    }

    public static String password() {
        return postgres.password();
    }

    private static void start() throws IOException, SQLException {
        Path home = Files.createTempDirectory("slice-postgres");
        postgres = LocalPostgres.start(home, FreePorts.pick());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(home), "slice-postgres-stop"));
        execute("create database " + TEMPLATE);
        Flyway.configure()
                .dataSource(url(TEMPLATE), postgres.user(), postgres.password())
                .load()
                .migrate();
        // nobody connects to the template again: a copy needs it without sessions
        execute("alter database " + TEMPLATE + " with allow_connections false");
        execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + TEMPLATE + "'");
    }

    private static String url(String database) {
        return postgres.jdbcUrl().replace("/postgres", "/" + database);
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection =
                        DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static void stop(Path home) {
        try {
            postgres.close();
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder())
                        .forEach(file -> file.toFile().delete());
            }
        } catch (IOException | RuntimeException e) {
            // the JVM is ending; nothing to report to
        }
    }
}
