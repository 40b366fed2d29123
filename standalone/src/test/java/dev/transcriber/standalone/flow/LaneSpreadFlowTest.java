package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.Lane;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * A lane's messages are dealt over its partitions in turn, not by job id: a backlog is then split evenly between the
 * workers reading the lane (each takes jobs only from its own partitions), which is what lets 4 workers finish it in
 * a quarter of the time 1 worker takes (bench/scale-out.sh).
 */
class LaneSpreadFlowTest {

    @Test
    void asyncJobsAreDealtEvenlyOverTheLanesPartitions() throws Exception {
        TestSystem system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"Dealt.\"}")));
        String topic = Lane.ASYNC.topic();
        try (Admin admin = Admin.create(system.api().getBean(KafkaAdmin.class).getConfigurationProperties())) {
            int partitions = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(10, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .size();
            Map<TopicPartition, Long> before = ends(admin, topic, partitions);

            ApiClient client = new ApiClient(system.apiBaseUrl());
            for (int i = 0; i < 3 * partitions; i++) {
                HttpResponse<String> accepted = client.submitJob(
                        new Multipart()
                                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.2))
                                .field("model", "gpt-4o-transcribe"),
                        TestSystem.API_KEY,
                        null);
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            }

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<TopicPartition, Long> after = ends(admin, topic, partitions);
                assertThat(after.keySet())
                        .allSatisfy(partition -> assertThat(after.get(partition) - before.get(partition))
                                .as("messages added to %s", partition)
                                .isEqualTo(3));
            });
        }
    }

    private static Map<TopicPartition, Long> ends(Admin admin, String topic, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(request)
                .all()
                .get(10, TimeUnit.SECONDS)
                .forEach((partition, info) -> ends.put(partition, info.offset()));
        return ends;
    }
}
