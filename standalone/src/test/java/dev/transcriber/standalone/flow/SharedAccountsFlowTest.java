package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.worker.accounts.AccountPool;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An upstream account is the fleet's, not each worker's: three workers share one account that allows two calls at
 * once, and the upstream never sees a third; a 429 that one worker meets cools the account for all of them within a
 * second; {@code /admin/accounts} on any worker shows the fleet's state, and a re-enable on one reaches every worker.
 */
class SharedAccountsFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_CONCURRENCY = 2;
    private static final byte[] ANSWER = "{\"text\":\"shared words\"}".getBytes(StandardCharsets.UTF_8);

    private static HttpServer upstream;
    private static final AtomicInteger inFlight = new AtomicInteger();
    private static final AtomicInteger mostInFlight = new AtomicInteger();
    private static final AtomicInteger calls = new AtomicInteger();
    private static final AtomicBoolean rateLimited = new AtomicBoolean();

    private static TestSystem.Isolated isolated;
    private static final List<ConfigurableApplicationContext> workers = new ArrayList<>();
    private static ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/v1/audio/transcriptions", exchange -> {
            try (exchange) {
                int now = inFlight.incrementAndGet();
                mostInFlight.accumulateAndGet(now, Math::max);
                calls.incrementAndGet();
                try (InputStream in = exchange.getRequestBody()) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                if (rateLimited.get()) {
                    exchange.getResponseHeaders().add("retry-after", "120");
                    exchange.sendResponseHeaders(429, -1);
                    return;
                }
                Thread.sleep(300);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, ANSWER.length);
                exchange.getResponseBody().write(ANSWER);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        });
        upstream.start();
        String baseUrl = "http://127.0.0.1:" + upstream.getAddress().getPort() + "/v1";
        List<String> account = List.of(
                "--transcriber.openai.api-key=",
                "--transcriber.accounts[0].id=shared",
                "--transcriber.accounts[0].base-url=" + baseUrl,
                "--transcriber.accounts[0].api-key=upstream-key-shared",
                "--transcriber.accounts[0].max-concurrency=" + MAX_CONCURRENCY,
                "--transcriber.upstream.retry.max-attempts=1");
        // every sync job through Kafka, which spreads them over the three workers (a hand-off would give them all to
        // the first worker, whose lane has room for them)
        isolated = TestSystem.isolated(account, List.of("--transcriber.api.hand-off.worker="));
        workers.add(isolated.system().worker());
        workers.add(isolated.system().startAnotherWorker(List.of()));
        workers.add(isolated.system().startAnotherWorker(List.of()));
        client = new ApiClient(isolated.system().apiBaseUrl());
        // every worker has its share of the interactive lane's partitions before the callers come
        String interactive = dev.transcriber.common.events.Lane.INTERACTIVE.topic();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> workers.stream()
                        .allMatch(worker -> worker
                                .getBean(org.springframework.kafka.config.KafkaListenerEndpointRegistry.class)
                                .getListenerContainers()
                                .stream()
                                .map(container -> container.getAssignedPartitions())
                                .filter(java.util.Objects::nonNull)
                                .flatMap(java.util.Collection::stream)
                                .anyMatch(partition -> partition.topic().equals(interactive))));
    }

    @AfterAll
    static void stop() {
        workers.subList(1, workers.size()).forEach(ConfigurableApplicationContext::close);
        if (isolated != null) {
            isolated.close();
        }
        upstream.stop(0);
    }

    @BeforeEach
    void reset() {
        rateLimited.set(false);
        workers.forEach(w -> w.getBean(AccountPool.class).enable("shared"));
    }

    @Test
    void threeWorkersNeverMakeMoreCallsAtOnceThanTheAccountAllows() {
        int before = calls.get();
        mostInFlight.set(0);
        // held callers (the interactive lane, which has the whole of an account), spread over the three workers
        List<java.util.concurrent.Future<HttpResponse<String>>> answers = new ArrayList<>();
        try (var callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 18; i++) {
                answers.add(callers.submit(() -> client.transcribe(form())));
            }
        }
        for (var answer : answers) {
            HttpResponse<String> response = answer.resultNow();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }

        assertThat(calls.get() - before).isEqualTo(answers.size());
        assertThat(mostInFlight.get()).isEqualTo(MAX_CONCURRENCY);
        // the calls were spread over the workers: each keeps the latency of the calls it made itself
        assertThat(workers.stream()
                        .filter(w ->
                                w.getBean(AccountPool.class).status("shared").latencyP50Ms() != null)
                        .count())
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void aRateLimitMetByOneWorkerCoolsTheAccountForEveryWorkerWithinASecond() {
        rateLimited.set(true);
        HttpResponse<String> refused = client.transcribe(form());
        assertThat(refused.statusCode()).as(refused.body()).isNotEqualTo(200);

        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (ConfigurableApplicationContext worker : workers) {
                assertThat(worker.getBean(AccountPool.class).status("shared").state())
                        .isEqualTo("cooling");
            }
        });

        // any worker's admin view shows it, and a re-enable on another reaches every worker
        JsonNode seen = admin(workers.get(2), "GET", "/admin/accounts");
        assertThat(seen.path("data").get(0).path("state").asString()).isEqualTo("cooling");
        admin(workers.get(1), "POST", "/admin/accounts/shared/enable");
        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (ConfigurableApplicationContext worker : workers) {
                assertThat(worker.getBean(AccountPool.class).status("shared").state())
                        .isEqualTo("active");
            }
        });
    }

    @Test
    void aRefusedKeyDisablesTheAccountInTheWholeFleet() {
        AccountPool second = workers.get(1).getBean(AccountPool.class);
        second.disable(second.accounts().getFirst(), "HTTP 401: Incorrect API key provided");

        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (ConfigurableApplicationContext worker : workers) {
                AccountPool.AccountStatus status =
                        worker.getBean(AccountPool.class).status("shared");
                assertThat(status.state()).isEqualTo("disabled");
                assertThat(status.disabledReason()).contains("401");
            }
        });
    }

    private static String status(String id) {
        return JSON.readTree(client.get("/v1/transcription_jobs/" + id).body())
                .path("status")
                .asString();
    }

    private static JsonNode admin(ConfigurableApplicationContext worker, String method, String path) {
        String port = worker.getEnvironment().getRequiredProperty("local.server.port");
        HttpResponse<String> response =
                client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static Multipart form() {
        return new Multipart()
                .field("model", "gpt-4o-transcribe")
                .file("file", "tone.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
