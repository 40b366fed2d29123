package dev.transcriber.worker.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.common.webhooks.DeliveryState;
import dev.transcriber.common.webhooks.JobWebhooks;
import dev.transcriber.common.webhooks.WebhookDelivery;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import dev.transcriber.common.webhooks.WebhookSignature;
import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.support.Race;
import dev.transcriber.standalone.support.WebhookReceiver;
import dev.transcriber.standalone.support.WorkerSlice;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhook senders ({@link WebhookSender}) on a real PostgreSQL, posting to a real HTTP receiver on 127.0.0.1: a due
 * delivery is posted once, signed per Standard Webhooks with each of its key's secrets; a failed one is retried on the
 * schedule (later when the receiver asks, on 429) and given up when the schedule runs out; 410 disables the URL; a 2xx
 * brings the endpoint's waiting deliveries forward; and two senders never send one delivery twice, while one whose
 * sender died comes back after its lease. Time is the test's clock.
 */
class WebhookSenderTest {

    private static final List<Duration> SCHEDULE = List.of(Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(5));
    private static final Duration LEASE = Duration.ofMinutes(2);

    private static WorkerSlice slice;

    private final List<WebhookSender> senders = new ArrayList<>();
    private WebhookReceiver receiver;

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(WebhookSenderTest.class);
    }

    @AfterAll
    static void stop() {
        if (slice != null) {
            slice.close();
        }
    }

    @BeforeEach
    void receiver() throws Exception {
        slice.clearJobs();
        receiver = new WebhookReceiver();
    }

    @AfterEach
    void close() {
        receiver.releaseAnswers();
        receiver.close();
        senders.forEach(WebhookSender::stop);
    }

    @Test
    void aDueDeliveryIsPostedOnceSignedWithEachOfItsKeysSecretsAndRecordedAsDelivered() throws Exception {
        String oldSecret = WebhookSignature.newSecret();
        String newSecret = WebhookSignature.newSecret();
        UUID key = slice.apiKey("signing", k -> {
            k.ensureWebhookSecret(oldSecret);
            k.rotateWebhookSecret(newSecret, slice.clock().instant().plus(Duration.ofDays(1)));
        });
        String id = delivery(key, receiver.url());
        WebhookSender sender = sender();
        double delivered = slice.count("transcriber.webhooks.attempts", "outcome", "delivered");

        assertThat(sender.sendDue()).isEqualTo(1);
        assertThat(sender.sendDue()).as("nothing more is due").isZero();

        WebhookReceiver.Received request = receiver.received().getFirst();
        assertThat(receiver.received()).hasSize(1);
        String timestamp = String.valueOf(slice.clock().instant().getEpochSecond());
        assertThat(request.headers())
                .containsEntry("webhook-id", id)
                .containsEntry("webhook-timestamp", timestamp)
                .hasEntrySatisfying("content-type", type -> assertThat(type).startsWith("application/json"));
        assertThat(request.body()).isEqualTo(delivery(id).payload()).contains("transcription_job.succeeded");
        assertThat(request.headers().get("webhook-signature").split(" "))
                .containsExactlyInAnyOrder(
                        signature(newSecret, id, timestamp, request.body()),
                        signature(oldSecret, id, timestamp, request.body()));
        WebhookDelivery row = delivery(id);
        assertThat(row.state()).isEqualTo(DeliveryState.DELIVERED);
        assertThat(row.attempts()).isEqualTo(1);
        assertThat(row.lastStatus()).isEqualTo(200);
        assertThat(row.deliveredAt()).isEqualTo(slice.clock().instant());
        assertThat(row.nextAttemptAt()).isNull();
        assertThat(row.sendingUntil()).isNull();
        assertThat(row.attemptLog()).contains("\"status\":200").contains("\"attempt\":1");
        assertThat(slice.count("transcriber.webhooks.attempts", "outcome", "delivered") - delivered)
                .isEqualTo(1);
    }

    @Test
    void aFailedDeliveryIsRetriedOnItsScheduleAndGivenUpWhenTheScheduleRunsOut() throws Exception {
        receiver.answer(500);
        String id = delivery(null, receiver.url());
        WebhookSender sender = sender();
        double exhausted = slice.count("transcriber.webhooks.attempts", "outcome", "exhausted");

        for (int attempt = 1; attempt <= SCHEDULE.size(); attempt++) {
            assertThat(sender.sendDue()).as("attempt %s", attempt).isEqualTo(1);

            WebhookDelivery row = delivery(id);
            assertThat(row.attempts()).isEqualTo(attempt);
            assertThat(row.lastStatus()).isEqualTo(500);
            assertThat(row.lastError()).isEqualTo("HTTP 500");
            if (attempt < SCHEDULE.size()) {
                Duration delay = SCHEDULE.get(attempt);
                assertThat(row.state()).isEqualTo(DeliveryState.PENDING);
                assertThat(row.nextAttemptAt())
                        .isEqualTo(slice.clock().instant().plus(delay));
                slice.clock().advance(delay.minusMillis(1));
                assertThat(sender.sendDue()).as("not yet due").isZero();
                slice.clock().advance(Duration.ofMillis(1));
            } else {
                assertThat(row.state()).isEqualTo(DeliveryState.GAVE_UP);
                assertThat(row.nextAttemptAt()).isNull();
            }
        }

        slice.clock().advance(Duration.ofDays(1));
        assertThat(sender.sendDue()).isZero();
        assertThat(receiver.received())
                .hasSize(SCHEDULE.size())
                .allSatisfy(r -> assertThat(r.headers()).containsEntry("webhook-id", id));
        assertThat(delivery(id).attemptLog()).contains("\"attempt\":3");
        assertThat(slice.count("transcriber.webhooks.attempts", "outcome", "exhausted") - exhausted)
                .isEqualTo(1);
    }

    @Test
    void aRetryAfterPutsTheNextAttemptLaterOn429ButNotOnAStatusThatDoesNotAskForIt() throws Exception {
        WebhookSender sender = sender();
        receiver.answer(429, Map.of("Retry-After", "120"));
        String throttled = delivery(null, receiver.url());
        sender.sendDue();
        receiver.answer(429, Map.of("Retry-After", "1"));
        String shortWait = delivery(null, receiver.url());
        sender.sendDue();
        receiver.answer(500, Map.of("Retry-After", "120"));
        String failing = delivery(null, receiver.url());
        sender.sendDue();

        Instant now = slice.clock().instant();
        assertThat(delivery(throttled).nextAttemptAt()).isEqualTo(now.plusSeconds(120));
        assertThat(delivery(shortWait).nextAttemptAt())
                .as("never earlier than the schedule")
                .isEqualTo(now.plusSeconds(5));
        assertThat(delivery(failing).nextAttemptAt()).isEqualTo(now.plusSeconds(5));
        assertThat(receiver.received()).hasSize(3);
    }

    @Test
    void aReceiverAnswering410DisablesItsUrlForTheKeyAndItGetsNothingMore() throws Exception {
        UUID key = slice.apiKey("gone", k -> {});
        WebhookSender sender = sender();
        receiver.answer(500);
        String waiting = delivery(key, receiver.url());
        sender.sendDue();
        receiver.answer(410);
        String gone = delivery(key, receiver.url());
        double disabled = slice.count("transcriber.webhooks.attempts", "outcome", "disabled");

        assertThat(sender.sendDue()).isEqualTo(1);

        assertThat(delivery(gone).state()).isEqualTo(DeliveryState.DISABLED);
        assertThat(slice.bean(JobWebhooks.class).isDisabled(key, receiver.url()))
                .isTrue();
        assertThat(slice.count("transcriber.webhooks.attempts", "outcome", "disabled") - disabled)
                .isEqualTo(1);
        int before = receiver.received().size();
        slice.clock().advance(Duration.ofHours(1));
        sender.sendDue();
        assertThat(receiver.received())
                .as("the waiting delivery is not sent to a URL that is gone")
                .hasSize(before);
        assertThat(delivery(waiting).state()).isEqualTo(DeliveryState.DISABLED);
        assertThat(deliveriesOf(endedJob(key, receiver.url())))
                .as("a later event makes no delivery")
                .isEmpty();
    }

    @Test
    void aDeliveryUnderWayWhenAnotherGets410EndsDisabledIfItFailsAndItsUrlGetsNothingMore() throws Exception {
        UUID key = slice.apiKey("gone-meanwhile", k -> {});
        WebhookSender first = sender();
        WebhookSender second = sender();
        receiver.answer(503);
        receiver.holdAnswers();
        String underWay = delivery(key, receiver.url());
        CompletableFuture<Integer> sending = CompletableFuture.supplyAsync(() -> send(first));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 1);
        receiver.stopHolding();
        receiver.answer(410);
        String gone = delivery(key, receiver.url());
        assertThat(second.sendDue()).isEqualTo(1);
        assertThat(delivery(gone).state()).isEqualTo(DeliveryState.DISABLED);
        assertThat(delivery(underWay).state())
                .as("under way: left to its sender")
                .isEqualTo(DeliveryState.PENDING);
        double disabled = slice.count("transcriber.webhooks.attempts", "outcome", "disabled");

        receiver.releaseAnswers(); // the delivery under way gets its 503
        assertThat(sending.get(10, TimeUnit.SECONDS)).isEqualTo(1);

        WebhookDelivery row = delivery(underWay);
        assertThat(row.state()).isEqualTo(DeliveryState.DISABLED);
        assertThat(row.attempts()).isEqualTo(1);
        assertThat(row.lastStatus()).isEqualTo(503);
        assertThat(row.lastError()).startsWith("HTTP 503").contains("410");
        assertThat(row.nextAttemptAt()).isNull();
        assertThat(row.sendingUntil()).isNull();
        assertThat(row.attemptLog()).contains("\"status\":503");
        assertThat(slice.count("transcriber.webhooks.attempts", "outcome", "disabled") - disabled)
                .isEqualTo(1);
        slice.clock().advance(Duration.ofHours(1));
        assertThat(first.sendDue()).isZero();
        assertThat(second.sendDue()).isZero();
        assertThat(receiver.received())
                .as("after its retry would have come due, the URL that is gone got nothing more")
                .hasSize(2);
    }

    @Test
    void aDeliveryWhoseUrlWasDisabledWhileItsSenderHeldItIsNotPostedWhenItComesBack() throws Exception {
        UUID key = slice.apiKey("gone-while-held", k -> {});
        WebhookSender sender = sender();
        String orphaned = delivery(key, receiver.url());
        slice.jdbc() // taken by a sender that died before it posted
                .sql("update webhook_deliveries set sending_until = :until where id = :id")
                .param("until", Timestamp.from(slice.clock().instant().plus(LEASE)))
                .param("id", orphaned)
                .update();
        receiver.answer(410);
        String gone = delivery(key, receiver.url());
        assertThat(sender.sendDue()).isEqualTo(1);
        assertThat(delivery(gone).state()).isEqualTo(DeliveryState.DISABLED);
        assertThat(delivery(orphaned).state())
                .as("held by its sender: left to it")
                .isEqualTo(DeliveryState.PENDING);
        slice.clock().advance(LEASE);

        assertThat(sender.sendDue()).as("taken once its lease ran out").isEqualTo(1);

        assertThat(receiver.received())
                .as("only the delivery that got the 410 was posted")
                .hasSize(1)
                .allSatisfy(r -> assertThat(r.headers()).containsEntry("webhook-id", gone));
        WebhookDelivery row = delivery(orphaned);
        assertThat(row.state()).isEqualTo(DeliveryState.DISABLED);
        assertThat(row.attempts()).as("never posted").isZero();
        assertThat(row.lastError()).contains("410");
        assertThat(row.nextAttemptAt()).isNull();
        assertThat(row.sendingUntil()).isNull();
    }

    @Test
    void aReceiverThatCannotBeReachedIsTriedAgainOnSchedule() throws Exception {
        String id = delivery(null, "http://127.0.0.1:" + FreePorts.pick() + "/hook");

        assertThat(sender().sendDue()).isEqualTo(1);

        WebhookDelivery row = delivery(id);
        assertThat(row.state()).isEqualTo(DeliveryState.PENDING);
        assertThat(row.attempts()).isEqualTo(1);
        assertThat(row.lastStatus()).isNull();
        assertThat(row.lastError()).startsWith("could not deliver");
        assertThat(row.nextAttemptAt()).isEqualTo(slice.clock().instant().plusSeconds(5));
    }

    @Test
    void aTwoHundredBringsTheEndpointsWaitingDeliveriesForward() throws Exception {
        WebhookSender sender = sender();
        receiver.answer(500);
        String waiting = delivery(null, receiver.url());
        sender.sendDue();
        assertThat(delivery(waiting).nextAttemptAt())
                .isEqualTo(slice.clock().instant().plusSeconds(5));
        receiver.answer(200);
        String fresh = delivery(null, receiver.url());

        assertThat(sender.sendDue()).isEqualTo(1);

        assertThat(delivery(fresh).state()).isEqualTo(DeliveryState.DELIVERED);
        // recovery-rate 10 a second: the first waiting delivery is due 100 ms after the answer
        assertThat(delivery(waiting).nextAttemptAt())
                .isEqualTo(slice.clock().instant().plusMillis(100));
        slice.clock().advance(Duration.ofMillis(100));
        assertThat(sender.sendDue()).isEqualTo(1);
        assertThat(delivery(waiting).state()).isEqualTo(DeliveryState.DELIVERED);
        assertThat(delivery(waiting).attempts()).isEqualTo(2);
    }

    @Test
    void twoSendersLookingAtOnceSendEachDeliveryOnce() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ids.add(delivery(null, receiver.url()));
        }
        List<WebhookSender> both = List.of(sender(), sender());

        int taken = 0;
        for (int round = 0; round < 5 && taken < ids.size(); round++) {
            List<Race.Outcome<Integer>> outcomes = Race.run(
                    both.stream().map(s -> (Callable<Integer>) s::sendDue).toList());
            assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNull());
            taken += outcomes.stream().mapToInt(Race.Outcome::value).sum();
        }

        assertThat(taken).isEqualTo(ids.size());
        assertThat(receiver.received().stream().map(r -> r.headers().get("webhook-id")))
                .containsExactlyInAnyOrderElementsOf(ids);
        assertThat(ids).allSatisfy(id -> {
            assertThat(delivery(id).state()).isEqualTo(DeliveryState.DELIVERED);
            assertThat(delivery(id).attempts()).isEqualTo(1);
        });
    }

    @Test
    void aDeliveryUnderWayIsLeftToItsSenderAndOneWhoseSenderDiedComesBackAfterItsLease() throws Exception {
        WebhookSender first = sender();
        WebhookSender second = sender();
        String underWay = delivery(null, receiver.url());
        receiver.holdAnswers();

        CompletableFuture<Integer> sending = CompletableFuture.supplyAsync(() -> send(first));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 1);
        assertThat(second.sendDue()).isZero();
        receiver.releaseAnswers();

        assertThat(sending.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(receiver.received()).hasSize(1);
        assertThat(delivery(underWay).state()).isEqualTo(DeliveryState.DELIVERED);

        String orphaned = delivery(null, receiver.url());
        slice.jdbc() // taken by a sender that died before it posted
                .sql("update webhook_deliveries set sending_until = :until where id = :id")
                .param("until", Timestamp.from(slice.clock().instant().plus(LEASE)))
                .param("id", orphaned)
                .update();
        assertThat(second.sendDue()).isZero();
        slice.clock().advance(LEASE);

        assertThat(second.sendDue()).isEqualTo(1);
        assertThat(delivery(orphaned).state()).isEqualTo(DeliveryState.DELIVERED);
        assertThat(receiver.received()).hasSize(2);
    }

    // --- helpers ---

    private WebhookSender sender() {
        WebhookProperties properties =
                new WebhookProperties(SCHEDULE, 0, Duration.ofSeconds(5), 20, Duration.ofSeconds(10), LEASE, 10);
        WebhookSender sender = new WebhookSender(
                slice.jdbc(),
                slice.bean(WebhookDeliveryRepository.class),
                slice.bean(ApiKeyRepository.class),
                slice.bean(JobWebhooks.class),
                slice.bean(AddressPolicy.class),
                new RetrySchedule(properties),
                properties,
                slice.transactions(),
                slice.bean(JsonMapper.class),
                slice.clock(),
                slice.meters(),
                slice.bean(Traces.class),
                slice.bean(Wakeups.class));
        senders.add(sender);
        return sender;
    }

    private static int send(WebhookSender sender) {
        try {
            return sender.sendDue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The delivery of a job of {@code key} that just succeeded, with {@code url} as its webhook; its id. */
    private static String delivery(UUID key, String url) {
        return deliveriesOf(endedJob(key, url)).getFirst();
    }

    /** A job of {@code key} with {@code url} as its webhook, ended now as a worker ends it. */
    private static JobId endedJob(UUID key, String url) {
        JobId id = JobId.random();
        Instant now = slice.clock().instant();
        slice.jobs()
                .save(TranscriptionJob.submitted(
                        id,
                        key,
                        Lane.ASYNC,
                        new JobSpec("gpt-4o-transcribe", "json", null, null, null),
                        new StoredAudio("audio/" + id, "clip.wav", "audio/wav", 1000),
                        null,
                        url,
                        now));
        slice.change(id, job -> {
            job.claim("worker-a", now.plus(LEASE), now);
            job.succeed("{\"text\":\"hi\"}", "account-a", now);
            slice.bean(JobWebhooks.class).jobEnded(EndedJob.of(job), null);
        });
        return id;
    }

    private static List<String> deliveriesOf(JobId job) {
        return slice.jdbc()
                .sql("select id from webhook_deliveries where job_id = :job order by created_at")
                .param("job", job.value())
                .query(String.class)
                .list();
    }

    private static WebhookDelivery delivery(String id) {
        return slice.bean(WebhookDeliveryRepository.class).findById(id).orElseThrow();
    }

    /** Standard Webhooks' signature, computed here on its own: HMAC-SHA256 of "id.timestamp.body". */
    private static String signature(String secret, String id, String timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        return "v1,"
                + Base64.getEncoder()
                        .encodeToString(
                                mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    }
}
