package dev.transcriber.common.events;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the topics are created: partitions of each lane's job topic ({@code KAFKA_JOB_PARTITIONS}, which caps how many
 * consumers, so workers, one lane can use at once), the replication factor of every topic
 * ({@code KAFKA_REPLICATION_FACTOR}: 1 for local mode and one broker, 3 in production) and the {@code
 * min.insync.replicas} they are created with ({@code KAFKA_MIN_INSYNC_REPLICAS}; 0 leaves the broker's default). They
 * apply when a topic is created; a topic that exists gets more partitions when asked for, never fewer, and keeps its
 * replication factor (that is changed with Kafka's partition reassignment).
 *
 * @param jobPartitions Partitions of each lane's job topic; caps how many consumers, so workers, a lane can use at
 *     once.
 * @param replicationFactor Replication factor of every topic: 1 for one broker, 3 in production.
 * @param minInsyncReplicas The {@code min.insync.replicas} topics are created with; 0 leaves the broker's default.
 */
@ConfigurationProperties("transcriber.kafka")
public record TopicProperties(
        @DefaultValue("12") int jobPartitions,
        @DefaultValue("1") short replicationFactor,
        @DefaultValue("0") int minInsyncReplicas) {

    public TopicProperties {
        if (jobPartitions < 1) {
            throw new IllegalArgumentException("transcriber.kafka.job-partitions must be at least 1");
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("transcriber.kafka.replication-factor must be at least 1");
        }
        if (minInsyncReplicas < 0 || minInsyncReplicas > replicationFactor) {
            throw new IllegalArgumentException(
                    "transcriber.kafka.min-insync-replicas must be between 0 (the broker's default) and the"
                            + " replication factor");
        }
    }
}
