package dev.transcriber.common.events;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;

/** Both services declare the topics; whichever starts first creates them. */
@Configuration(proxyBeanMethods = false)
public class TopicConfiguration {

    @Bean
    KafkaAdmin.NewTopics transcriberTopics(
            @Value("${transcriber.kafka.job-partitions:12}") int jobPartitions,
            @Value("${transcriber.kafka.replication-factor:1}") short replicas) {
        return new KafkaAdmin.NewTopics(
                TopicBuilder.name(Topics.JOBS)
                        .partitions(jobPartitions)
                        .replicas(replicas)
                        .build(),
                TopicBuilder.name(Topics.FINISHED)
                        .partitions(4)
                        .replicas(replicas)
                        .build(),
                TopicBuilder.name(Topics.JOBS + "-dlt")
                        .partitions(1)
                        .replicas(replicas)
                        .build());
    }
}
