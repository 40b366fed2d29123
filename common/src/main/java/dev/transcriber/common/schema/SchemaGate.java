package dev.transcriber.common.schema;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;

/**
 * What a starting service does with the schema, before anything that uses the database is built (Spring Boot runs
 * the migration strategy ahead of JPA and the JDBC clients): migrate it, or, with
 * {@code transcriber.schema.migrate-on-start=false}, wait until a separate migration has brought it to this build's
 * latest version. A schema ahead of this build (a newer release migrated it during a rolling upgrade) is fine: its
 * extra migrations are only ever additions the older code does not read.
 */
final class SchemaGate implements FlywayMigrationStrategy {

    private static final Logger log = LoggerFactory.getLogger(SchemaGate.class);

    private final SchemaProperties properties;
    private final Clock clock;

    SchemaGate(SchemaProperties properties, Clock clock) {
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public void migrate(Flyway flyway) {
        if (properties.migrateOnStart()) {
            report(flyway.migrate());
            return;
        }
        Instant deadline = clock.instant().plus(properties.waitFor());
        boolean waited = false;
        while (true) {
            MigrationInfo[] pending = flyway.info().pending();
            if (pending.length == 0) {
                log.info(
                        "schema: at version {}, what this build needs; migrations are not run by this process"
                                + " (transcriber.schema.migrate-on-start=false)",
                        current(flyway));
                return;
            }
            Duration left = Duration.between(clock.instant(), deadline);
            String behind = "the database schema is at version " + current(flyway) + ", this build needs "
                    + pending[pending.length - 1].getVersion() + " (" + pending.length + " pending: "
                    + Arrays.stream(pending).map(m -> m.getVersion().toString()).collect(Collectors.joining(", "))
                    + ")";
            if (left.isNegative() || left.isZero()) {
                throw new IllegalStateException(behind + ", still after waiting " + properties.waitFor()
                        + ". Run the migrations once (the api image's `migrate` mode: the schema-migrate Job in"
                        + " k8s/, the migrate service in docker-compose.yml), or let this process run them with"
                        + " TRANSCRIBER_MIGRATE_ON_START=true.");
            }
            if (!waited) {
                log.warn(
                        "schema: {}; waiting up to {} for the migration to run (it is not run by this process:"
                                + " transcriber.schema.migrate-on-start=false)",
                        behind,
                        left);
                waited = true;
            } else {
                log.info("schema: still waiting for the migration ({}); {} left", behind, left);
            }
            pause(min(properties.pollInterval(), left));
        }
    }

    private static void report(MigrateResult result) {
        if (result.migrationsExecuted > 0) {
            log.info(
                    "schema: {} migration(s) applied, from version {} to {}",
                    result.migrationsExecuted,
                    result.initialSchemaVersion,
                    result.targetSchemaVersion);
        }
    }

    private static String current(Flyway flyway) {
        MigrationInfo current = flyway.info().current();
        return current == null || current.getVersion() == null
                ? "none (empty)"
                : current.getVersion().toString();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the schema migration", e);
        }
    }
}
