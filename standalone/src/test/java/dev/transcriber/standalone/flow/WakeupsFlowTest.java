package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Background work starts on the event, not at the next poll: with every fallback interval set to ten minutes (the
 * admission scheduler, the batch expander, the webhook senders), a held job is released as soon as its key's running
 * job ends, a batch is expanded and run as soon as it is accepted, a webhook is sent as soon as its job ends, its retry
 * as soon as it is due, and a redelivery as soon as it is asked for. Each happens within seconds, so the wake-up did
 * it: their polls would not come before the test is over.
 */
class WakeupsFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration PROMPTLY = Duration.ofSeconds(15);

    private static TestSystem.Isolated isolated;
    private static WebhookReceiver receiver;
    private ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        receiver = new WebhookReceiver();
        List<String> network = List.of("--transcriber.network.allow-list=127.0.0.1");
        List<String> worker = new ArrayList<>(network);
        worker.addAll(List.of(
                "--transcriber.admission.interval=10m",
                "--transcriber.batches.expand-interval=10m",
                "--transcriber.webhooks.poll-interval=10m",
                "--transcriber.webhooks.schedule=0s,2s,3s",
                "--transcriber.webhooks.jitter=0"));
        isolated = TestSystem.isolated(worker, network);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> isolated.system().worker().getBean(Wakeups.class).isListening()
                        && isolated.system().api().getBean(Wakeups.class).isListening());
    }

    @AfterAll
    static void stop() {
        isolated.close();
        receiver.close();
    }

    @BeforeEach
    void setUp() {
        client = new ApiClient(isolated.system().apiBaseUrl());
        isolated.system().upstream().resetAll();
        receiver.clear();
    }

    @Test
    void aHeldJobIsReleasedAsSoonAsTheRunningJobOfItsKeyEnds() {
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(okJson("{\"text\":\"in turn\"}").withFixedDelay(1500)));
        String key = JSON.readTree(admin(
                                "POST",
                                "/admin/keys",
                                "{\"name\":\"one at a time\",\"max_concurrent_jobs\":1,"
                                        + "\"concurrent_jobs_mode\":\"queue\"}")
                        .body())
                .path("key")
                .asString();

        String first = submit(key, null);
        String second = submit(key, null);

        await().atMost(PROMPTLY).until(() -> job(first).state().isTerminal());
        await().atMost(PROMPTLY).until(() -> job(second).state().isTerminal());
        TranscriptionJob ran = job(first);
        TranscriptionJob held = job(second);
        assertThat(ran.state().name()).isEqualTo("SUCCEEDED");
        assertThat(held.state().name()).isEqualTo("SUCCEEDED");
        assertThat(held.startedAt())
                .as("the held job started once the first ended, not at the scheduler's next look")
                .isAfterOrEqualTo(ran.finishedAt())
                .isBefore(ran.finishedAt().plusSeconds(5));
    }

    @Test
    void aBatchIsExpandedAndRunAsSoonAsItIsAccepted() {
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"item\"}")));
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            items.append(i == 0 ? "" : ",")
                    .append("{\"upload_id\":\"")
                    .append(client.upload(TestAudio.toneWav(0.5 + i / 10.0), TestSystem.API_KEY))
                    .append("\"}");
        }
        HttpResponse<String> accepted = client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"whisper-1\",\"reuse\":false,\"items\":[" + items + "]}"))
                .build());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("id").asString();

        await().atMost(PROMPTLY).untilAsserted(() -> {
            JsonNode batch =
                    JSON.readTree(client.get("/v1/transcription_batches/" + id).body());
            assertThat(batch.path("status").asString()).as(batch.toString()).isEqualTo("completed");
        });
    }

    @Test
    void aWebhookIsSentWhenItsJobEndsRetriedWhenDueAndRedeliveredWhenAsked() {
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"hooked\"}")));
        receiver.answer(500);
        String id = submit(TestSystem.API_KEY, receiver.url());

        await().atMost(PROMPTLY).until(() -> receiver.received().size() == 1);
        receiver.answer(204);
        // the retry is due 2 s after the first attempt
        await().atMost(Duration.ofSeconds(8)).until(() -> receiver.received().size() == 2);

        HttpResponse<String> redeliver = client.post("/v1/transcription_jobs/" + id + "/webhook_deliveries/redeliver");
        assertThat(redeliver.statusCode()).as(redeliver.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.received().size() == 3);
        assertThat(receiver.received())
                .extracting(r -> r.headers().get("webhook-id"))
                .containsOnly(receiver.received().getFirst().headers().get("webhook-id"));
    }

    @Test
    void aServiceThatStopsLeavesNoWakeupThreadBehind() {
        long before = wakeupThreads();
        ConfigurableApplicationContext another = isolated.system().startAnotherWorker(List.of());
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> another.getBean(Wakeups.class).isListening());
            assertThat(wakeupThreads()).as("its doorbells and listener").isGreaterThan(before);
        } finally {
            another.close();
        }
        assertThat(wakeupThreads()).isEqualTo(before);
    }

    private static long wakeupThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("wakeup-"))
                .count();
    }

    private TranscriptionJob job(String id) {
        return isolated.system().jobs().findById(UUID.fromString(id)).orElseThrow();
    }

    private String submit(String key, String webhookUrl) {
        Multipart form = new Multipart()
                .field("model", "whisper-1")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
        if (webhookUrl != null) {
            form.field("webhook_url", webhookUrl);
        }
        HttpResponse<String> accepted = client.submitJob(form, key, null);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        return JSON.readTree(accepted.body()).path("id").asString();
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return client.send(client.request(path)
                .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build());
    }
}
