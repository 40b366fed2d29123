package dev.transcriber.common.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.infra.LocalPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * The migrations run once, by the api image's {@code migrate} mode, against a real PostgreSQL; services set not to
 * migrate wait for the schema, and stop with a clear message when it stays behind.
 */
class SchemaMigrationTest {

    @TempDir
    static Path data;

    private static LocalPostgres postgres;

    @BeforeAll
    static void start() throws IOException {
        postgres = LocalPostgres.start(data, FreePorts.pick());
    }

    @AfterAll
    static void stop() throws IOException {
        postgres.close();
    }

    @Test
    void theMigrateModeAppliesEveryMigrationOnceAndExits() throws Exception {
        String url = database("migrate_once");
        List<String> versions = migrationVersions();

        assertThat(SchemaMigration.run(settings(url))).as("exit status").isZero();

        assertThat(appliedVersions(url)).containsExactlyElementsOf(versions);
        assertThat(tables(url)).contains("transcription_jobs", "outbox");

        assertThat(SchemaMigration.run(settings(url)))
                .as("exit status, run again")
                .isZero();
        assertThat(appliedVersions(url)).as("nothing applied twice").containsExactlyElementsOf(versions);
    }

    @Test
    void theMigrateModeExitsWithOneWhenTheDatabaseCannotBeReached() {
        String nobody = "jdbc:postgresql://127.0.0.1:" + FreePorts.pick() + "/postgres";
        assertThat(SchemaMigration.run(settings(nobody))).isEqualTo(1);
    }

    @Test
    void aServiceThatDoesNotMigrateStopsWhenTheSchemaStaysBehind() throws Exception {
        String url = database("left_behind");
        SchemaGate gate = new SchemaGate(
                new SchemaProperties(false, Duration.ofSeconds(1), Duration.ofMillis(100)), Clock.systemUTC());

        assertThatThrownBy(() -> gate.migrate(flyway(url)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the database schema is at version none (empty), this build needs "
                        + migrationVersions().getLast())
                .hasMessageContaining("`migrate` mode")
                .hasMessageContaining("TRANSCRIBER_MIGRATE_ON_START=true");
        assertThat(tables(url)).as("the service changed nothing").isEmpty();
    }

    @Test
    void aServiceThatDoesNotMigrateGoesOnOnceTheMigrationHasRun() throws Exception {
        String url = database("waits_for_it");
        SchemaGate gate = new SchemaGate(
                new SchemaProperties(false, Duration.ofMinutes(1), Duration.ofMillis(100)), Clock.systemUTC());
        CompletableFuture<Void> starting = CompletableFuture.runAsync(() -> gate.migrate(flyway(url)));

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> !starting.isDone());
        assertThat(SchemaMigration.run(settings(url))).isZero();

        await().atMost(Duration.ofSeconds(10)).until(starting::isDone);
        starting.join(); // no failure
        assertThat(appliedVersions(url)).containsExactlyElementsOf(migrationVersions());
    }

    @Test
    void aServiceThatMigratesOnStartMigrates() throws Exception {
        String url = database("on_start");
        new SchemaGate(new SchemaProperties(true, Duration.ZERO, Duration.ZERO), Clock.systemUTC())
                .migrate(flyway(url));
        assertThat(appliedVersions(url)).containsExactlyElementsOf(migrationVersions());
    }

    private static String[] settings(String url) {
        return new String[] {
            "--spring.datasource.url=" + url,
            "--spring.datasource.username=" + postgres.user(),
            "--spring.datasource.password=" + postgres.password()
        };
    }

    /** A new, empty database; its JDBC URL. */
    private static String database(String name) throws SQLException {
        try (Connection connection =
                        DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
                Statement statement = connection.createStatement()) {
            statement.execute("create database " + name);
        }
        return postgres.jdbcUrl().replace("/postgres", "/" + name);
    }

    private static Flyway flyway(String url) {
        return Flyway.configure()
                .dataSource(url, postgres.user(), postgres.password())
                .locations("classpath:db/migration")
                .load();
    }

    /** The versions of this build's migrations, in order. */
    private static List<String> migrationVersions() throws IOException {
        Resource[] files = new PathMatchingResourcePatternResolver().getResources("classpath*:db/migration/V*__*.sql");
        return Arrays.stream(files)
                .map(file -> file.getFilename().substring(1, file.getFilename().indexOf("__")))
                .map(version -> version.replace('_', '.'))
                .sorted((a, b) -> compareVersions(a, b))
                .toList();
    }

    private static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int left = i < x.length ? Integer.parseInt(x[i]) : 0;
            int right = i < y.length ? Integer.parseInt(y[i]) : 0;
            if (left != right) {
                return Integer.compare(left, right);
            }
        }
        return 0;
    }

    private static List<String> appliedVersions(String url) throws SQLException {
        return query(
                url,
                "select version from flyway_schema_history where success and version is not null"
                        + " order by installed_rank");
    }

    private static List<String> tables(String url) throws SQLException {
        return query(url, "select table_name from information_schema.tables where table_schema = 'public'");
    }

    private static List<String> query(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, postgres.user(), postgres.password());
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new java.util.ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }
}
