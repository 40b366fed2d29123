package dev.transcriber.common.events;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * Both services declare the topics; whichever starts first creates them, as {@link TopicProperties} says: a topic
 * per lane, and a dead-letter topic per lane with one partition (the error handler sends to partition 0). A topic
 * that exists takes the settings declared here ({@code spring.kafka.admin.modify-topic-configs}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TopicProperties.class)
public class TopicConfiguration {

    @Bean
    KafkaAdmin.NewTopics transcriberTopics(TopicProperties properties) {
        return new KafkaAdmin.NewTopics(topics(properties).toArray(NewTopic[]::new));
    }

    /** Every topic the services use, as {@code properties} create them. */
    public static List<NewTopic> topics(TopicProperties properties) {
        List<NewTopic> topics = new ArrayList<>();
        for (Lane lane : Lane.values()) {
            topics.add(
                    topic(lane.topic(), properties.jobPartitions(), properties).build());
            topics.add(topic(lane.deadLetterTopic(), 1, properties).build());
        }
        return topics;
    }

    private static TopicBuilder topic(String name, int partitions, TopicProperties properties) {
        TopicBuilder topic = TopicBuilder.name(name).partitions(partitions).replicas(properties.replicationFactor());
        if (properties.minInsyncReplicas() > 0) {
            topic.config(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(properties.minInsyncReplicas()));
        }
        return topic;
    }
}
