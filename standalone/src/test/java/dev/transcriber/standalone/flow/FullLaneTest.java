package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.ConsumerGroups;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * A full lane never holds its consumer past {@code max.poll.interval.ms}: with one slot, a slow upstream and a poll
 * interval shorter than the queue takes to drain, the lane's consumers stay in their group (no member is evicted and
 * rejoins under a new id), and every job runs once.
 */
class FullLaneTest {

    private static final String LANE_GROUP = "workers";
    private static final int JOBS = 5;

    private static TestSystem.Isolated isolated;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(
                List.of(
                        "--transcriber.worker.max-in-flight=1",
                        "--spring.kafka.consumer.properties.max.poll.interval.ms=5000",
                        "--transcriber.worker.queue.full-lane-wait=200ms",
                        "--transcriber.upstream.call-timeout=10s"),
                List.of());
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @Test
    void aFullLaneKeepsItsConsumersInTheGroupAndRunsEveryJobOnce() throws Exception {
        TestSystem system = isolated.system();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(okJson("{\"text\":\"One at a time.\"}").withFixedDelay(3000)));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        try (Admin admin = Admin.create(system.api().getBean(KafkaAdmin.class).getConfigurationProperties())) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> stableMembers(admin).size() == 2);
            Set<String> members = stableMembers(admin);

            List<CompletableFuture<HttpResponse<String>>> responses = IntStream.range(0, JOBS)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> client.transcribe(new Multipart()
                            .file("file", "clip" + i + ".wav", "audio/wav", TestAudio.toneWav(0.5))
                            .field("model", "gpt-4o-transcribe"))))
                    .toList();
            for (CompletableFuture<HttpResponse<String>> response : responses) {
                HttpResponse<String> answer = response.get(120, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            }

            assertThat(system.upstream().findAll(postRequestedFor(urlEqualTo("/v1/audio/transcriptions"))))
                    .hasSize(JOBS);
            assertThat(stableMembers(admin)).as("the lane's consumers").isEqualTo(members);
        }
    }

    private static Set<String> stableMembers(Admin admin) throws Exception {
        return ConsumerGroups.stableMembers(admin, LANE_GROUP);
    }
}
