package dev.transcriber.common.schema;

import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The migrations alone, then exit: {@code java -jar api-service.jar migrate} (the api image with the argument
 * {@code migrate}). It reads the database settings as the services do ({@code DATABASE_URL}, {@code DATABASE_USER},
 * {@code DATABASE_PASSWORD}, or {@code --spring.datasource.*}) and starts nothing else: no web server, Kafka or object
 * store. Run it once per release before the services (a Kubernetes Job, a compose service they wait for), with the
 * services set to {@code TRANSCRIBER_MIGRATE_ON_START=false}; it always migrates, whatever that setting says.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@ImportAutoConfiguration({DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class})
public class SchemaMigration {

    /** The first argument that selects this mode instead of the service. */
    public static final String MODE = "migrate";

    private static final Logger log = LoggerFactory.getLogger(SchemaMigration.class);

    /** Migrates and returns the exit status: 0 when the schema is at this build's version, 1 otherwise. */
    public static int run(String... args) {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SchemaMigration.class)
                .main(SchemaMigration.class)
                .web(WebApplicationType.NONE)
                .properties("spring.config.name=transcriber-common", "spring.main.banner-mode=off")
                .run(args)) {
            log.info("schema: migrated; exiting");
            return SpringApplication.exit(context);
        } catch (RuntimeException e) {
            // Spring Boot has logged why
            return 1;
        }
    }

    /** Always migrates here, whatever {@code transcriber.schema.migrate-on-start} says for the services. */
    @Bean
    FlywayMigrationStrategy migrateAlways() {
        return new SchemaGate(
                new SchemaProperties(true, java.time.Duration.ZERO, java.time.Duration.ZERO), Clock.systemUTC());
    }
}
