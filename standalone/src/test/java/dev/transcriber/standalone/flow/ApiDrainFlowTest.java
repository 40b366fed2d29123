package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.api.completion.PendingCompletions;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.ApiReference;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An api instance that shuts down stops taking requests but answers the sync requests it holds: with their
 * transcript when the job ends within {@code transcriber.api.drain}, with a 503 and {@code Retry-After} after it
 * (the caller sends the request again with its {@code Idempotency-Key} and gets the same job's answer), never with a
 * cut connection.
 */
class ApiDrainFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";

    /**
     * The test's own callers, never the common pool: on 2 cores that pool has one thread, and a caller blocked on it
     * held up the in-JVM worker's work that completes there (the job seemed stuck while the api closed).
     */
    private static final java.util.concurrent.ExecutorService CALLERS =
            java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    private static TestSystem.Isolated isolated;
    private static TestSystem system;

    /** A system of its own: its worker waits for a slow upstream longer than the shared one's call timeout. */
    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(List.of("--transcriber.upstream.call-timeout=60s"), List.of());
        system = isolated.system();
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @BeforeEach
    void reset() {
        system.resetUpstream();
    }

    @Test
    void aHeldRequestIsAnsweredWhileTheApiDrainsAndNewOnesAreRefused() throws Exception {
        system.upstream()
                .stubFor(post(urlEqualTo(UPSTREAM_PATH))
                        .willReturn(
                                okJson("{\"text\":\"answered while draining\"}").withFixedDelay(5000)));
        ConfigurableApplicationContext api = system.startAnotherApi(List.of("--transcriber.api.drain=20s"));
        String baseUrl = baseUrl(api);
        CompletableFuture<HttpResponse<String>> held =
                CompletableFuture.supplyAsync(() -> new ApiClient(baseUrl).transcribe(wav()), CALLERS);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.getBean(PendingCompletions.class).size() == 1 || held.isDone());

        CompletableFuture<Void> closed = CompletableFuture.runAsync(api::close, CALLERS);

        await().atMost(Duration.ofSeconds(3)).until(() -> refused(baseUrl));
        assertThat(held).as("still held while its job runs").isNotDone();
        HttpResponse<String> answer = held.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode())
                .as(answer.body() + " upstream calls: "
                        + system.upstream().getAllServeEvents().stream()
                                .map(e -> e.getRequest().getLoggedDate() + " -> "
                                        + e.getResponse().getStatus())
                                .toList()
                        + " jobs: "
                        + system.jobs().findAll().stream()
                                .map(j -> j.id() + " " + j.state())
                                .toList())
                .isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).path("text").asString()).isEqualTo("answered while draining");
        closed.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aRequestStillHeldWhenTheDrainEndsGetsA503ToSendAgainWithItsIdempotencyKey() throws Exception {
        system.upstream()
                .stubFor(post(urlEqualTo(UPSTREAM_PATH))
                        .willReturn(okJson("{\"text\":\"slow\"}").withFixedDelay(5000)));
        ConfigurableApplicationContext api = system.startAnotherApi(List.of("--transcriber.api.drain=1s"));
        String key = "drain-" + UUID.randomUUID();
        Multipart form = wav();
        CompletableFuture<HttpResponse<String>> held =
                CompletableFuture.supplyAsync(() -> send(baseUrl(api), form, key), CALLERS);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.getBean(PendingCompletions.class).size() == 1 || held.isDone());

        long closing = System.nanoTime();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(api::close, CALLERS);

        HttpResponse<String> refused = held.get(30, TimeUnit.SECONDS);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        JsonNode error = JSON.readTree(refused.body()).path("error");
        assertThat(error.path("code").asString()).isEqualTo("shutting_down");
        assertThat(error.path("message").asString()).contains("Idempotency-Key");
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(4));
        closed.get(30, TimeUnit.SECONDS);

        HttpResponse<String> again = send(system.apiBaseUrl(), form, key);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(JSON.readTree(again.body()).path("text").asString()).isEqualTo("slow");
    }

    /**
     * A request whose body was still arriving when the close began (it passed {@code ClosingGate} before) finds the
     * instance holding nothing any more: it gets a 503 to send again and makes no job, which the retry would have
     * made a second time.
     */
    @Test
    void anUploadStillArrivingWhenTheApiBeginsToCloseMakesNoJob() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"made anyway\"}")));
        // a limit, so that each request is counted (below: how the test knows the upload passed the gate)
        ConfigurableApplicationContext api =
                system.startAnotherApi(List.of("--transcriber.api.default-requests-per-minute=1000000"));
        String baseUrl = baseUrl(api);
        long jobsBefore = system.jobs().count();
        Timestamp since = Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MINUTES));
        long countedBefore = requestsCounted(since);
        Multipart form = wav();
        byte[] body = form.build();
        int half = body.length / 2;
        URI uri = URI.create(baseUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                            + "\r\nAuthorization: Bearer " + TestSystem.API_KEY + "\r\nContent-Type: "
                            + form.contentType() + "\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, half);
            out.flush();
            // past the gate: the request was counted against its key's rate limit, which reads no body
            await().atMost(Duration.ofSeconds(10)).until(() -> requestsCounted(since) > countedBefore);

            CompletableFuture<Void> closed = CompletableFuture.runAsync(api::close, CALLERS);
            await().atMost(Duration.ofSeconds(10)).until(() -> holdsNoMore(api));
            out.write(body, half, body.length - half);
            out.flush();

            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer)
                    .startsWith("HTTP/1.1 503")
                    .containsIgnoringCase("\r\nRetry-After: ")
                    .contains("\"code\":\"shutting_down\"");
            assertThat(system.jobs().count()).as("jobs made").isEqualTo(jobsBefore);
            closed.get(30, TimeUnit.SECONDS);
        }
    }

    /** Whether the instance's drain is over: it refuses to hold a request (a probe it would hold is let go). */
    private static boolean holdsNoMore(ConfigurableApplicationContext api) {
        PendingCompletions pending = api.getBean(PendingCompletions.class);
        JobId probe = JobId.random();
        CompletableFuture<JobFinished.Answer> held = pending.register(probe);
        if (held.isCompletedExceptionally()) {
            return true;
        }
        pending.forget(probe, held);
        return false;
    }

    private static long requestsCounted(Timestamp since) {
        return system.api()
                .getBean(org.springframework.jdbc.core.simple.JdbcClient.class)
                .sql("select coalesce(sum(requests), 0) from rate_windows where window_start >= :since")
                .param("since", since)
                .query(Long.class)
                .single();
    }

    private static String baseUrl(ConfigurableApplicationContext api) {
        return "http://127.0.0.1:" + api.getEnvironment().getRequiredProperty("local.server.port");
    }

    /** A new request on a new connection is refused (connection refused, or a 503). */
    private static boolean refused(String baseUrl) {
        try (HttpClient fresh = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1))
                .build()) {
            HttpResponse<String> response = fresh.send(
                    HttpRequest.newBuilder(URI.create(baseUrl + "/v1/models"))
                            .timeout(Duration.ofSeconds(2))
                            .header("Authorization", "Bearer " + TestSystem.API_KEY)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            ApiReference.check(response);
            return response.statusCode() == 503;
        } catch (IOException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static HttpResponse<String> send(String baseUrl, Multipart form, String idempotencyKey) {
        ApiClient client = new ApiClient(baseUrl);
        return client.send(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", form.contentType())
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                .build());
    }

    private static Multipart wav() {
        return new Multipart()
                .field("model", "whisper-1")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
