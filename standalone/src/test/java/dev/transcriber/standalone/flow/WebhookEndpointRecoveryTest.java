package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.webhooks.DeliveryState;
import dev.transcriber.common.webhooks.WebhookDelivery;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * A short receiver outage costs seconds, not the schedule's long wait: deliveries that failed while the receiver was
 * down wait 10 minutes for their next attempt, yet once a new delivery to the same endpoint gets a 2xx they arrive
 * promptly, oldest first, each once and with its own event id. A delivery to another endpoint still down keeps its
 * schedule.
 */
class WebhookEndpointRecoveryTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration LONG_WAIT = Duration.ofMinutes(10);

    private static TestSystem.Isolated isolated;
    private static WebhookReceiver receiver;
    private static WebhookReceiver elsewhere;

    @BeforeAll
    static void start() throws Exception {
        receiver = new WebhookReceiver();
        elsewhere = new WebhookReceiver();
        List<String> network = List.of("--transcriber.network.allow-list=127.0.0.1");
        List<String> worker = new ArrayList<>(network);
        worker.addAll(List.of(
                "--transcriber.webhooks.schedule=0s,1s," + LONG_WAIT.toSeconds() + "s",
                "--transcriber.webhooks.jitter=0",
                "--transcriber.webhooks.poll-interval=200ms",
                "--transcriber.webhooks.recovery-rate=2"));
        List<String> api = new ArrayList<>(network);
        api.add("--transcriber.api.bootstrap-webhook-secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        isolated = TestSystem.isolated(worker, api);
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"hooked\"}")));
    }

    @AfterAll
    static void stop() {
        isolated.close();
        receiver.close();
        elsewhere.close();
    }

    @Test
    void deliveriesWaitingForARetryArriveOnceTheirEndpointAnswersAgain() {
        ApiClient client = new ApiClient(isolated.system().apiBaseUrl());
        receiver.answer(503);
        elsewhere.answer(503);
        String first = submit(client, receiver.url());
        String second = submit(client, receiver.url());
        String other = submit(client, elsewhere.url());
        // Tried at once and after 1 s, both refused: the next attempt is 10 minutes out.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> List.of(first, second, other).stream()
                        .allMatch(id -> deliveryOf(id)
                                .filter(WebhookEndpointRecoveryTest::waitingLong)
                                .isPresent()));
        List<String> before = List.of(delivery(first).id(), delivery(second).id());

        receiver.answer(204);
        String fresh = submit(client, receiver.url());

        await().atMost(Duration.ofSeconds(20))
                .until(() -> List.of(first, second, fresh).stream()
                        .allMatch(id -> deliveryOf(id)
                                .filter(d -> d.state() == DeliveryState.DELIVERED)
                                .isPresent()));
        // Nothing more comes: each delivered once.
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> receiver.received().size() == 3 + 3 + 1);

        List<String> ids = receiver.received().stream()
                .map(r -> r.headers().get("webhook-id"))
                .toList();
        assertThat(ids.stream().filter(before.get(0)::equals)).hasSize(3);
        assertThat(ids.stream().filter(before.get(1)::equals)).hasSize(3);
        assertThat(ids.getLast())
                .as("the waiting ones come after the new one's 2xx")
                .isIn(before);
        List<String> byAge = List.of(delivery(first), delivery(second)).stream()
                .sorted(Comparator.comparing(WebhookDelivery::createdAt))
                .map(WebhookDelivery::id)
                .toList();
        assertThat(ids.lastIndexOf(byAge.get(0))).as("oldest first").isLessThan(ids.lastIndexOf(byAge.get(1)));
        for (String job : List.of(first, second)) {
            WebhookDelivery delivered = delivery(job);
            assertThat(delivered.attempts())
                    .as("no attempt counted for the move")
                    .isEqualTo(3);
            assertThat(receiver.received().stream()
                            .filter(r -> r.headers().get("webhook-id").equals(delivered.id()))
                            .map(r -> JSON.readTree(r.body())
                                    .path("data")
                                    .path("id")
                                    .asString()))
                    .containsOnly(job);
        }
        assertThat(delivery(fresh).attempts()).isEqualTo(1);

        // The other endpoint never answered 2xx: its delivery keeps its schedule.
        assertThat(elsewhere.received()).hasSize(2);
        assertThat(waitingLong(delivery(other))).isTrue();
    }

    private static boolean waitingLong(WebhookDelivery delivery) {
        return delivery.state() == DeliveryState.PENDING
                && delivery.attempts() == 2
                && delivery.nextAttemptAt().isAfter(Instant.now().plus(LONG_WAIT.dividedBy(2)));
    }

    private static WebhookDelivery delivery(String jobId) {
        return deliveryOf(jobId).orElseThrow();
    }

    /** The job's one delivery, once the job has ended. */
    private static Optional<WebhookDelivery> deliveryOf(String jobId) {
        List<WebhookDelivery> deliveries = isolated.system()
                .worker()
                .getBean(WebhookDeliveryRepository.class)
                .findByJobIdOrderByCreatedAt(UUID.fromString(jobId));
        assertThat(deliveries.size()).isLessThanOrEqualTo(1);
        return deliveries.stream().findFirst();
    }

    private static String submit(ApiClient client, String webhookUrl) {
        HttpResponse<String> accepted = client.submitJob(
                new Multipart()
                        .field("model", "gpt-4o-transcribe")
                        .field("webhook_url", webhookUrl)
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5)),
                TestSystem.API_KEY,
                null);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        return JSON.readTree(accepted.body()).path("id").asString();
    }
}
