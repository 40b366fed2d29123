package dev.transcriber.common.schema;

import java.time.Clock;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The services' migration strategy: {@link SchemaGate}. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SchemaProperties.class)
public class SchemaConfiguration {

    @Bean
    FlywayMigrationStrategy schemaGate(SchemaProperties properties, Clock clock) {
        return new SchemaGate(properties, clock);
    }
}
