package dev.transcriber.worker;

import dev.transcriber.common.CommonConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Pulls jobs from Kafka and transcribes them through upstream accounts. */
@SpringBootApplication
@EnableScheduling
@ConfigurationPropertiesScan
@Import(CommonConfiguration.class)
public class WorkerApplication {

    /** The worker reads {@code worker.yml}, so it can share a JVM with the api in local mode. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(WorkerApplication.class).properties("spring.config.name=worker");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
