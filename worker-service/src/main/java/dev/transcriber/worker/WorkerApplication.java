package dev.transcriber.worker;

import dev.transcriber.common.metrics.LogEventCounter;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** Pulls jobs from Kafka and transcribes them through upstream accounts. */
@SpringBootApplication(excludeName = LogEventCounter.REPLACES)
public class WorkerApplication {

    /** The worker reads {@code worker.yml}, so it can share a JVM with the api in local mode. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(WorkerApplication.class).properties("spring.config.name=worker");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
