package dev.transcriber.common.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.kafka.core.KafkaAdmin;

/** The topics' partitions and replication are settings; local mode keeps its defaults. */
class TopicConfigurationTest {

    private final ApplicationContextRunner context =
            new ApplicationContextRunner().withUserConfiguration(TopicConfiguration.class);

    @Test
    void defaultsSuitOneBroker() {
        context.run(started -> {
            Map<String, NewTopic> topics = topics(started);
            assertThat(topics)
                    .containsOnlyKeys(
                            Topics.JOBS,
                            Topics.JOBS + "-dlt",
                            Topics.JOBS + ".async",
                            Topics.JOBS + ".async-dlt",
                            Topics.JOBS + ".bulk",
                            Topics.JOBS + ".bulk-dlt",
                            Topics.FINISHED,
                            Topics.PROGRESS);
            assertThat(topics.get(Topics.JOBS).numPartitions()).isEqualTo(12);
            assertThat(topics.get(Topics.JOBS + ".bulk-dlt").numPartitions()).isEqualTo(1);
            assertThat(topics.get(Topics.FINISHED).numPartitions()).isEqualTo(Topics.EVENT_PARTITIONS);
            for (String notices : List.of(Topics.FINISHED, Topics.PROGRESS)) {
                assertThat(topics.get(notices).configs())
                        .as("a sync call's end notice carries its transcript: kept minutes, not the broker's week")
                        .containsEntry("retention.ms", "600000")
                        .containsEntry("segment.ms", "300000");
            }
            assertThat(
                            topics.get(Topics.JOBS).configs() == null
                                    ? Map.of()
                                    : topics.get(Topics.JOBS).configs())
                    .as("a job's message is kept as the broker keeps messages")
                    .doesNotContainKey("retention.ms");
            assertThat(topics.values()).allSatisfy(topic -> {
                assertThat(topic.replicationFactor()).isEqualTo((short) 1);
                assertThat(topic.configs() == null ? Map.of() : topic.configs())
                        .as("the broker's own min.insync.replicas")
                        .doesNotContainKey("min.insync.replicas");
            });
        });
    }

    @Test
    void productionSettingsReplicateEveryTopicAndWidenTheLanes() {
        context.withPropertyValues(
                        "transcriber.kafka.job-partitions=24",
                        "transcriber.kafka.replication-factor=3",
                        "transcriber.kafka.min-insync-replicas=2")
                .run(started -> {
                    Map<String, NewTopic> topics = topics(started);
                    for (Lane lane : Lane.values()) {
                        assertThat(topics.get(lane.topic()).numPartitions()).isEqualTo(24);
                        assertThat(topics.get(lane.deadLetterTopic()).numPartitions())
                                .as("the error handler sends to partition 0")
                                .isEqualTo(1);
                    }
                    assertThat(topics.get(Topics.PROGRESS).numPartitions())
                            .as("the api reads these by number")
                            .isEqualTo(Topics.EVENT_PARTITIONS);
                    assertThat(topics.values()).allSatisfy(topic -> {
                        assertThat(topic.replicationFactor()).isEqualTo((short) 3);
                        assertThat(topic.configs()).containsEntry("min.insync.replicas", "2");
                    });
                });
    }

    @Test
    void moreInSyncReplicasThanReplicasIsRefusedAtStart() {
        context.withPropertyValues("transcriber.kafka.replication-factor=1", "transcriber.kafka.min-insync-replicas=2")
                .run(started -> assertThat(started)
                        .hasFailed()
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("min-insync-replicas"));
    }

    /** The topics the context declares, by name. */
    private static Map<String, NewTopic> topics(ApplicationContext started) {
        assertThat(started.getBeansOfType(KafkaAdmin.NewTopics.class)).hasSize(1);
        List<NewTopic> all = TopicConfiguration.topics(started.getBean(TopicProperties.class));
        return all.stream().collect(Collectors.toMap(NewTopic::name, topic -> topic));
    }
}
