package dev.transcriber.standalone.security;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A key's {@code max_concurrent_jobs} holds when its submissions race each other: many submitted at the same instant
 * never leave more unfinished jobs than the cap, and retries of failed jobs take slots like new jobs.
 */
class KeyCapRaceSecurityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int CAP = 2;
    private static final int SUBMISSIONS = 16;

    @Test
    void parallelSubmissionsCannotPassTheCapTogether() throws Exception {
        TestSystem system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(okJson("{\"text\":\"slow\"}").withFixedDelay(3000)));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        HttpResponse<String> created = client.send(client.request("/admin/keys")
                .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"capped\",\"max_concurrent_jobs\":" + CAP + "}"))
                .build());
        JsonNode key = JSON.readTree(created.body());
        String secret = key.path("key").asString();
        UUID keyId = UUID.fromString(key.path("id").asString());

        List<Integer> statuses = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService clients = Executors.newFixedThreadPool(SUBMISSIONS)) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < SUBMISSIONS; i++) {
                answers.add(clients.submit(() -> {
                    go.await();
                    return client.submitJob(form(), secret, null).statusCode();
                }));
            }
            go.countDown();
            for (Future<Integer> answer : answers) {
                statuses.add(answer.get());
            }
        }

        assertThat(statuses).containsOnly(202, 429);
        assertThat(statuses.stream().filter(s -> s == 202).count()).isEqualTo(CAP);
        int unfinished = system.api()
                .getBean(JdbcClient.class)
                .sql("select count(*) from transcription_jobs where api_key_id = :key and parent_id is null")
                .param("key", keyId)
                .query(Integer.class)
                .single();
        assertThat(unfinished).as("job rows of the key").isEqualTo(CAP);
    }

    @Test
    void retryingFailedJobsTakesSlotsUnderTheCapToo() {
        TestSystem system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(aResponse().withStatus(503).withBody("{\"error\":{\"message\":\"down\"}}")));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        String secret = createKey(client, "{\"name\":\"retries\",\"max_concurrent_jobs\":1}");
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = JSON.readTree(client.submitJob(form(), secret, null).body())
                    .path("id")
                    .asString();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> status(client, secret, id).equals("failed"));
            failed.add(id);
        }
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(okJson("{\"text\":\"slow\"}").withFixedDelay(3000)));

        List<Integer> retried = failed.stream()
                .map(id -> client.send(client.request("/v1/transcription_jobs/" + id + "/retry")
                                .header("Authorization", "Bearer " + secret)
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build())
                        .statusCode())
                .toList();

        assertThat(retried).containsExactly(200, 429, 429);
    }

    private static String status(ApiClient client, String secret, String id) {
        return JSON.readTree(client.send(client.request("/v1/transcription_jobs/" + id)
                                .header("Authorization", "Bearer " + secret)
                                .GET()
                                .build())
                        .body())
                .path("status")
                .asString();
    }

    private static String createKey(ApiClient client, String body) {
        HttpResponse<String> created = client.send(client.request("/admin/keys")
                .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
        return JSON.readTree(created.body()).path("key").asString();
    }

    private static Multipart form() {
        return new Multipart()
                .field("model", "whisper-1")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
