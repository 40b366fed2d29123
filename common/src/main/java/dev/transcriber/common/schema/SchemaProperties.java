package dev.transcriber.common.schema;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Who runs the Flyway migrations. {@code migrateOnStart} (the default, and local mode): every process migrates as it
 * starts (Flyway's lock on PostgreSQL keeps two from applying the same one). Off, for a fleet whose migrations run
 * once (the api image's {@code migrate} mode, as a Kubernetes Job or a compose service): a process then waits for the
 * schema this build needs at most {@code waitFor}, checking every {@code pollInterval} and saying what it waits for, and
 * stops if it is still behind.
 *
 * @param migrateOnStart Whether this process runs the Flyway migrations as it starts; off where a one-off
 *     {@code migrate} run does.
 * @param waitFor With {@code migrateOnStart} off, how long to wait for the schema this build needs before stopping.
 * @param pollInterval How often the schema is checked while waiting for it.
 */
@ConfigurationProperties("transcriber.schema")
public record SchemaProperties(
        @DefaultValue("true") boolean migrateOnStart,
        @DefaultValue("5m") Duration waitFor,
        @DefaultValue("5s") Duration pollInterval) {}
