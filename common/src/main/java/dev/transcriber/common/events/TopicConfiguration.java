package dev.transcriber.common.events;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;
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
        List<NewTopic> topics = new ArrayList<>();
        for (Lane lane : Lane.values()) {
            topics.add(TopicBuilder.name(lane.topic())
                    .partitions(jobPartitions)
                    .replicas(replicas)
                    .build());
            topics.add(TopicBuilder.name(lane.deadLetterTopic())
                    .partitions(1)
                    .replicas(replicas)
                    .build());
        }
        topics.add(TopicBuilder.name(Topics.FINISHED)
                .partitions(Topics.EVENT_PARTITIONS)
                .replicas(replicas)
                .build());
        topics.add(TopicBuilder.name(Topics.PROGRESS)
                .partitions(Topics.EVENT_PARTITIONS)
                .replicas(replicas)
                .build());
        return new KafkaAdmin.NewTopics(topics.toArray(NewTopic[]::new));
    }
}
