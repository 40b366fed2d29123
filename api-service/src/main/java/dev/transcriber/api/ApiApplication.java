package dev.transcriber.api;

import dev.transcriber.common.metrics.LogEventCounter;
import dev.transcriber.common.schema.SchemaMigration;
import java.util.Arrays;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * The OpenAI-compatible HTTP surface. With {@code migrate} as its first argument the same jar (and image) runs the
 * database migrations alone and exits ({@link SchemaMigration}).
 */
@SpringBootApplication(excludeName = LogEventCounter.REPLACES)
public class ApiApplication {

    /** The api reads {@code api.yml}, so it can share a JVM with the worker in local mode. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(ApiApplication.class).properties("spring.config.name=api");
    }

    public static void main(String[] args) {
        if (args.length > 0 && SchemaMigration.MODE.equals(args[0])) {
            System.exit(SchemaMigration.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        builder().run(args);
    }
}
