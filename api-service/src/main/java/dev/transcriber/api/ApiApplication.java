package dev.transcriber.api;

import dev.transcriber.common.CommonConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The OpenAI-compatible HTTP surface. */
@SpringBootApplication
@EnableScheduling
@Import(CommonConfiguration.class)
@EnableConfigurationProperties(ApiProperties.class)
public class ApiApplication {

    /** The api reads {@code api.yml}, so it can share a JVM with the worker in local mode. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(ApiApplication.class).properties("spring.config.name=api");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
