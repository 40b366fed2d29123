package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.api.completion.PendingProgress;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.lifecycle.ProgressNotices;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import dev.transcriber.worker.accounts.AccountPool;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Background work starts on the event, not at the next poll: with every fallback interval set to ten minutes (the
 * admission scheduler, the batch expander, the webhook senders, the api's look for its held requests' jobs), a held
 * job is released as soon as its key's running job ends, a batch is expanded and run as soon as it is accepted, a
 * webhook is sent as soon as its job ends, its retry as soon as it is due, and a redelivery as soon as it is asked
 * for; a sync call is answered on its job's end notice, and one whose notice was lost while the api's listener was
 * away as soon as it listens again; a stream moves on with each piece's progress notice. Each happens within seconds, so the wake-up did it: their polls would not come
 * before the test is over.
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
        List<String> api = new ArrayList<>(network);
        api.add("--transcriber.api.completion-poll-interval=10m");
        isolated = TestSystem.isolated(worker, api);
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
    void aSyncCallIsAnsweredOnItsJobsEndNotice() throws Exception {
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"noticed\"}")));

        HttpResponse<String> answer = CompletableFuture.supplyAsync(() -> client.transcribe(new Multipart()
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                        .field("model", "whisper-1")))
                .get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).path("text").asString()).isEqualTo("noticed");
    }

    @Test
    void aHeldCallWhoseEndNoticeWasLostWhileTheApiDidNotListenIsAnsweredWhenItListensAgain() throws Exception {
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(okJson("{\"text\":\"too late\"}").withFixedDelay(6000)));
        Instant sent = Instant.now();
        CompletableFuture<HttpResponse<String>> held =
                CompletableFuture.supplyAsync(() -> client.transcribe(new Multipart()
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                        .field("model", "whisper-1")));
        TranscriptionJob running = await().atMost(PROMPTLY)
                .until(
                        () -> isolated.system().jobs().findAll().stream()
                                .filter(j -> j.state() == JobState.RUNNING
                                        && !j.createdAt().isBefore(sent))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();

        // the job ends with no notice (as if the api had not been listening then); then the listeners' connections go
        TransactionTemplate transactions = isolated.system().api().getBean(TransactionTemplate.class);
        transactions.executeWithoutResult(status -> {
            TranscriptionJob job = job(running.id().toString());
            job.succeed("{\"text\":\"found once listening again\"}", "account-x", Instant.now());
            isolated.system().jobs().save(job);
        });
        isolated.system()
                .api()
                .getBean(JdbcClient.class)
                .sql("select pg_terminate_backend(pid) from pg_stat_activity"
                        + " where application_name = 'transcriber-wakeups'")
                .query()
                .listOfRows();

        HttpResponse<String> answer = held.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).path("text").asString()).isEqualTo("found once listening again");
        // the worker's late answer is dropped (the job ended without it); the next test starts with its slot free
        AccountPool pool = isolated.system().worker().getBean(AccountPool.class);
        await().atMost(PROMPTLY).until(() -> pool.status().stream().allMatch(account -> account.inFlight() == 0));
    }

    @Test
    void aStreamHeldOnTheApiMovesOnWhenAWorkerRecordsAPieceOfItsJob() {
        JobId id = JobId.random();
        TranscriptionJob job = TranscriptionJob.queued(
                id,
                null,
                Lane.INTERACTIVE,
                new JobSpec("whisper-1", "json", null, null, null),
                new StoredAudio("audio/" + id, "talk.wav", "audio/wav", 1000),
                Instant.now());
        AtomicInteger moves = new AtomicInteger();
        PendingProgress streams = isolated.system().api().getBean(PendingProgress.class);
        Runnable onProgress = moves::incrementAndGet;
        streams.follow(id, onProgress);
        try {
            // what the worker's transaction that records a piece of the job sends
            isolated.system().worker().getBean(ProgressNotices.class).pieceDone(job);

            await().atMost(PROMPTLY).until(() -> moves.get() == 1);
        } finally {
            streams.forget(id, onProgress);
        }
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
