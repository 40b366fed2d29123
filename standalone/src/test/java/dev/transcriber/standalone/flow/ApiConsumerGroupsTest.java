package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.Topics;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * The api reads the completion and progress topics without a consumer group: a start (or restart) of the api leaves
 * no group on the broker, and every instance still reads every partition.
 */
class ApiConsumerGroupsTest {

    @Test
    void theApiReadsEveryPartitionOfItsTopicsAndLeavesNoConsumerGroup() throws Exception {
        TestSystem system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"No group.\"}")));

        HttpResponse<String> answer = new ApiClient(system.apiBaseUrl())
                .transcribe(new Multipart()
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                        .field("model", "gpt-4o-transcribe"));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);

        try (Admin admin = Admin.create(system.api().getBean(KafkaAdmin.class).getConfigurationProperties())) {
            List<String> groups = admin.listGroups().all().get(10, TimeUnit.SECONDS).stream()
                    .map(GroupListing::groupId)
                    .toList();
            assertThat(groups).contains("workers").noneMatch(group -> group.startsWith("api-"));
            assertThat(groups).allMatch(group -> group.startsWith("workers"));
        }
        List<TopicPartition> read =
                system.api().getBean(KafkaListenerEndpointRegistry.class).getListenerContainers().stream()
                        .map(MessageListenerContainer::getAssignedPartitions)
                        .flatMap(partitions -> partitions.stream())
                        .toList();
        for (String topic : List.of(Topics.FINISHED, Topics.PROGRESS)) {
            assertThat(read.stream().filter(p -> p.topic().equals(topic)).map(TopicPartition::partition))
                    .as(topic)
                    .containsExactlyInAnyOrder(0, 1, 2, 3);
        }
    }
}
