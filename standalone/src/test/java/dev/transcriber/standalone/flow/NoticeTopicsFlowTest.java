package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.Topics;
import dev.transcriber.standalone.support.TestSystem;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * The notices' topics keep their messages minutes, not the broker's week: a sync call's end notice carries its
 * transcript. A topic an older version created without these settings takes them when a service starts.
 */
class NoticeTopicsFlowTest {

    @Test
    void theNoticesTopicsKeepMessagesMinutesAndATopicMadeWithoutThatTakesItAtStart() throws Exception {
        TestSystem system = TestSystem.embedded();
        KafkaAdmin kafkaAdmin = system.api().getBean(KafkaAdmin.class);
        try (Admin admin = Admin.create(kafkaAdmin.getConfigurationProperties())) {
            for (String topic : List.of(Topics.FINISHED, Topics.PROGRESS)) {
                assertThat(retention(admin, topic)).as(topic).isEqualTo("600000");
            }

            // as an older version left it: the broker's retention
            ConfigResource finished = new ConfigResource(ConfigResource.Type.TOPIC, Topics.FINISHED);
            admin.incrementalAlterConfigs(Map.of(
                            finished,
                            List.of(
                                    new AlterConfigOp(
                                            new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE),
                                    new AlterConfigOp(
                                            new ConfigEntry("segment.ms", null), AlterConfigOp.OpType.DELETE))))
                    .all()
                    .get(10, TimeUnit.SECONDS);
            assertThat(retention(admin, Topics.FINISHED)).isEqualTo("604800000");

            kafkaAdmin.initialize(); // what a service's start does with the topics it declares

            assertThat(retention(admin, Topics.FINISHED)).isEqualTo("600000");
            assertThat(config(admin, Topics.FINISHED, "segment.ms")).isEqualTo("300000");
        }
    }

    private static String retention(Admin admin, String topic) throws Exception {
        return config(admin, topic, "retention.ms");
    }

    private static String config(Admin admin, String topic, String name) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource))
                .all()
                .get(10, TimeUnit.SECONDS)
                .get(resource)
                .get(name)
                .value();
    }
}
