package dev.transcriber.common.events;

import java.time.Duration;
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
 * Both services declare the topics; whichever starts first creates them, as {@link TopicProperties} says. A lane's
 * dead-letter topic has one partition (the error handler sends to partition 0); the completion and progress topics
 * have {@link Topics#EVENT_PARTITIONS}, which the api reads by number, and keep their notices for minutes only. A
 * topic that exists takes the settings declared here ({@code spring.kafka.admin.modify-topic-configs}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TopicProperties.class)
public class TopicConfiguration {

    /** How long a notice stays in its topic ({@link Topics#FINISHED}, {@link Topics#PROGRESS}). */
    public static final Duration NOTICE_RETENTION = Duration.ofMinutes(10);

    /** The segments of a notices' topic, so that what is older than the retention goes within this much more. */
    public static final Duration NOTICE_SEGMENT = Duration.ofMinutes(5);

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
        topics.add(notices(topic(Topics.FINISHED, Topics.EVENT_PARTITIONS, properties)));
        topics.add(notices(topic(Topics.PROGRESS, Topics.EVENT_PARTITIONS, properties)));
        return topics;
    }

    private static TopicBuilder topic(String name, int partitions, TopicProperties properties) {
        TopicBuilder topic = TopicBuilder.name(name).partitions(partitions).replicas(properties.replicationFactor());
        if (properties.minInsyncReplicas() > 0) {
            topic.config(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(properties.minInsyncReplicas()));
        }
        return topic;
    }

    /**
     * A topic of notices is kept {@link #NOTICE_RETENTION}, in segments of {@link #NOTICE_SEGMENT} (the broker deletes
     * whole segments only): the api reads notices from the end as they come, and a sync call's end notice carries its
     * transcript, which should not stay in the broker longer than that.
     */
    private static NewTopic notices(TopicBuilder topic) {
        return topic.config(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(NOTICE_RETENTION.toMillis()))
                .config(TopicConfig.SEGMENT_MS_CONFIG, String.valueOf(NOTICE_SEGMENT.toMillis()))
                .build();
    }
}
