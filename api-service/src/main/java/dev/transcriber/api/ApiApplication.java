package dev.transcriber.api;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** The OpenAI-compatible HTTP surface. */
@SpringBootApplication
public class ApiApplication {

    /** The api reads {@code api.yml}, so it can share a JVM with the worker in local mode. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(ApiApplication.class).properties("spring.config.name=api");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
