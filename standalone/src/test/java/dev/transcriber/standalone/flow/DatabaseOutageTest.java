package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.RawHttp;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * PostgreSQL down: callers get a 503 in the OpenAI shape with {@code Retry-After} within seconds (not a 500 after
 * Hikari's 30 s), readiness goes DOWN on the api and the worker so a load balancer stops routing to them, and all of
 * it comes back when the database does.
 */
class DatabaseOutageTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TestSystem.Isolated isolated;

    @BeforeAll
    static void start() throws Exception {
        // a slow upstream call must outlast stopping PostgreSQL
        isolated = TestSystem.isolated(List.of("--transcriber.upstream.call-timeout=30s"), List.of());
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @Test
    void callersGetA503WithRetryAfterAndReadinessFollowsTheDatabase() throws Exception {
        TestSystem system = isolated.system();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"back\"}")));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        assertThat(client.get("/v1/models").statusCode()).isEqualTo(200);
        assertThat(readiness(system.apiBaseUrl())).isEqualTo(200);
        assertThat(readiness(system.workerBaseUrl())).isEqualTo(200);

        isolated.infra().stopPostgres();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> readiness(system.apiBaseUrl()) == 503);
            await().atMost(Duration.ofSeconds(15)).until(() -> readiness(system.workerBaseUrl()) == 503);
            for (int i = 0; i < 3; i++) {
                long started = System.nanoTime();
                HttpResponse<String> models = client.get("/v1/models");
                assertUnavailable(models, started);
                started = System.nanoTime();
                HttpResponse<String> transcription = client.transcribe(new Multipart()
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                        .field("model", "whisper-1"));
                assertUnavailable(transcription, started);
            }
        } finally {
            isolated.infra().startPostgres();
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> readiness(system.apiBaseUrl()) == 200);
        await().atMost(Duration.ofSeconds(30)).until(() -> readiness(system.workerBaseUrl()) == 200);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> client.transcribe(new Multipart()
                                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                                        .field("model", "whisper-1"))
                                .statusCode()
                        == 200);
    }

    @Test
    void aResultInHandWhileTheDatabaseIsDownIsWrittenWhenItIsBackNotTranscribedAgain() throws Exception {
        TestSystem system = isolated.system();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(okJson("{\"text\":\"paid for once\"}").withFixedDelay(6000)));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        CompletableFuture<HttpResponse<String>> held =
                CompletableFuture.supplyAsync(() -> client.transcribe(new Multipart()
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                        .field("model", "whisper-1")));
        var accounts = system.worker().getBean(dev.transcriber.worker.accounts.AccountPool.class);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> accounts.status().stream().anyMatch(account -> account.inFlight() > 0));

        isolated.infra().stopPostgres(); // while the upstream call is under way
        try {
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> !system.upstream()
                            .findAll(postRequestedFor(urlEqualTo("/v1/audio/transcriptions")))
                            .isEmpty()); // the worker has the transcript and cannot write it
            // down for longer than the pool's 3 s wait for a connection, so the write fails at least once
            await().pollDelay(Duration.ofSeconds(6)).until(() -> true);
        } finally {
            isolated.infra().startPostgres();
        }

        HttpResponse<String> answer = held.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("paid for once");
        assertThat(system.upstream().findAll(postRequestedFor(urlEqualTo("/v1/audio/transcriptions"))))
                .hasSize(1);
    }

    private static void assertUnavailable(HttpResponse<String> response, long started) {
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        assertThat(took).as("time to the answer").isLessThan(Duration.ofSeconds(8));
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("code").asString()).isEqualTo("database_unavailable");
        assertThat(error.path("type").asString()).isEqualTo("server_error");
        assertThat(error.has("param")).isTrue();
    }

    private static int readiness(String base) {
        return RawHttp.send(base, "GET", "/actuator/health/readiness", null).status();
    }
}
