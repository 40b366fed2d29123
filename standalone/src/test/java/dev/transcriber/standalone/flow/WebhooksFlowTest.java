package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhooks end to end: a receiver on 127.0.0.1 (allow-listed) checks every signature with its own implementation of
 * the Standard Webhooks scheme, sees a retry after answering 500 and nothing more after a 2xx, and still gets its
 * delivery when the worker is restarted between two attempts.
 */
class WebhooksFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static TestSystem.Isolated isolated;
    private static WebhookReceiver receiver;
    private ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        receiver = new WebhookReceiver();
        List<String> network = List.of("--transcriber.network.allow-list=127.0.0.1");
        List<String> worker = new java.util.ArrayList<>(network);
        worker.addAll(List.of(
                "--transcriber.webhooks.schedule=0s,2s,3s,3s,3s",
                "--transcriber.webhooks.jitter=0",
                "--transcriber.webhooks.poll-interval=200ms"));
        List<String> api = new java.util.ArrayList<>(network);
        api.add("--transcriber.api.bootstrap-webhook-secret=" + SECRET);
        isolated = TestSystem.isolated(worker, api);
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
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"hooked\"}")));
        receiver.clear();
    }

    @Test
    void aFailedDeliveryIsRetriedSignedTheSameWayAndStopsAfterA2xx() {
        receiver.answer(500);
        String id = submit(receiver.url());
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() == 1);
        receiver.answer(204);

        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() == 2);
        await().during(Duration.ofMillis(1500))
                .atMost(Duration.ofSeconds(3))
                .until(() -> receiver.received().size() == 2);

        List<WebhookReceiver.Received> got = receiver.received();
        assertThat(got)
                .allSatisfy(
                        r -> assertThat(verified(r)).as("signature verifies").isTrue());
        assertThat(got.get(0).headers().get("webhook-id"))
                .isEqualTo(got.get(1).headers().get("webhook-id"));
        JsonNode event = JSON.readTree(got.get(1).body());
        assertThat(event.path("type").asString()).isEqualTo("transcription_job.succeeded");
        assertThat(event.path("data").path("id").asString()).isEqualTo(id);
        assertThat(event.path("data").path("status").asString()).isEqualTo("succeeded");

        JsonNode deliveries = JSON.readTree(client.get("/v1/transcription_jobs/" + id + "/webhook_deliveries")
                .body());
        JsonNode delivery = deliveries.path("data").get(0);
        assertThat(delivery.path("status").asString()).isEqualTo("delivered");
        assertThat(delivery.path("attempts").asInt()).isEqualTo(2);
        assertThat(delivery.path("attempt_log").get(0).path("status").asInt()).isEqualTo(500);
        assertThat(delivery.path("attempt_log").get(1).path("status").asInt()).isEqualTo(204);

        HttpResponse<String> redeliver = client.post("/v1/transcription_jobs/" + id + "/webhook_deliveries/redeliver");
        assertThat(redeliver.statusCode()).as(redeliver.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 3);
        assertThat(receiver.received().get(2).headers().get("webhook-id"))
                .isEqualTo(got.get(0).headers().get("webhook-id"));
    }

    @Test
    void aDeliveryDueWhileTheWorkerRestartsStillArrives() {
        receiver.answer(503);
        String id = submit(receiver.url());
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() == 1);

        // The next attempt is due 2 s after the first, while the worker restarts; the new worker sends what is due as
        // soon as it starts, before the restart returns, so the receiver is told to accept it first.
        receiver.answer(200);
        isolated.system().restartWorker();

        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received().size() >= 2);
        assertThat(verified(receiver.received().getLast())).isTrue();
        assertThat(JSON.readTree(receiver.received().getLast().body())
                        .path("data")
                        .path("id")
                        .asString())
                .isEqualTo(id);
    }

    @Test
    void webhookUrlsToPrivateLoopbackAndMetadataAddressesAreRefused() {
        for (String url :
                List.of("http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://127.0.0.2:9/hook")) {
            HttpResponse<String> refused = submitRaw(url);
            assertThat(refused.statusCode()).as(url + ": " + refused.body()).isEqualTo(400);
            assertThat(JSON.readTree(refused.body()).path("error").path("param").asString())
                    .isEqualTo("webhook_url");
        }
    }

    /** Standard Webhooks verification, written here from the spec rather than taken from the product. */
    private static boolean verified(WebhookReceiver.Received request) {
        try {
            String id = request.headers().get("webhook-id");
            String timestamp = request.headers().get("webhook-timestamp");
            if (Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
                return false;
            }
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring("whsec_".length())), "HmacSHA256"));
            String expected = Base64.getEncoder()
                    .encodeToString(mac.doFinal(
                            (id + "." + timestamp + "." + request.body()).getBytes(StandardCharsets.UTF_8)));
            for (String signature : request.headers().get("webhook-signature").split(" ")) {
                String[] parts = signature.split(",", 2);
                if (parts[0].equals("v1")
                        && java.security.MessageDigest.isEqual(
                                parts[1].getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
                    return true;
                }
            }
            return false;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private String submit(String webhookUrl) {
        HttpResponse<String> accepted = submitRaw(webhookUrl);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        return JSON.readTree(accepted.body()).path("id").asString();
    }

    private HttpResponse<String> submitRaw(String webhookUrl) {
        Multipart form = new Multipart()
                .field("model", "gpt-4o-transcribe")
                .field("webhook_url", webhookUrl)
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
        return client.submitJob(form, TestSystem.API_KEY, null);
    }
}
