package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The console's backend on a system of its own (its tests make the upstream slow, fail and answer 429): the
 * overview, the operator's search, views and commands on any key's jobs and batches, a job's timeline, its stored
 * audio, and the upstream accounts as the fleet's ledger holds them.
 */
class ConsoleApiFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";

    private static TestSystem.Isolated isolated;

    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        List<String> network = List.of("--transcriber.network.allow-list=127.0.0.1"); // the webhook receiver
        List<String> worker = new ArrayList<>(network);
        // two bulk jobs out at once: the rest of a batch stays held, for a cancel to find
        worker.addAll(List.of(
                "--transcriber.admission.interval=100ms",
                "--transcriber.admission.bulk-window=2",
                "--transcriber.batches.expand-interval=100ms"));
        isolated = TestSystem.isolated(worker, network);
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @BeforeEach
    void setUp() {
        system = isolated.system();
        system.resetUpstream();
        upstream = system.upstream();
        client = new ApiClient(system.apiBaseUrl());
    }

    @Test
    void theOverviewCountsAFinishedJobPerMinuteAndShowsEachLanesQueueAndHeldRequests() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"counted\"}")));
        String done = submitted(form("whisper-1"), TestSystem.API_KEY);
        JsonNode finished = awaitStatus(done, "succeeded");

        long minute = finished.path("finished_at").asLong() / 60 * 60;
        JsonNode overview = admin("GET", "/admin/overview").json();
        assertThat(overview.path("object").asString()).isEqualTo("overview");
        assertThat(overview.path("generated_at").asLong())
                .isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.api.Assertions.within(60L));
        List<String> lanes = new ArrayList<>();
        overview.path("lanes").forEach(lane -> lanes.add(lane.path("lane").asString()));
        assertThat(lanes).containsExactly("interactive", "async", "bulk");
        boolean counted = false;
        for (JsonNode row : overview.path("jobs_per_minute")) {
            assertThat(row.path("count").asLong()).as(row.toString()).isPositive();
            counted |= row.path("minute").asLong() == minute
                    && row.path("lane").asString().equals("async")
                    && row.path("outcome").asString().equals("succeeded");
        }
        assertThat(counted).as(overview.path("jobs_per_minute").toString()).isTrue();

        // a key whose cap queues: one job runs, the next is held; a sync request waits on an open connection
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"slow\"}").withFixedDelay(2500)));
        String capped = newKey("{\"name\":\"capped\",\"max_concurrent_jobs\":1,\"concurrent_jobs_mode\":\"queue\"}")
                .path("key")
                .asString();
        String running = submitted(form("whisper-1"), capped);
        String held = submitted(form("whisper-1"), capped);
        CompletableFuture<HttpResponse<String>> sync =
                CompletableFuture.supplyAsync(() -> client.transcribe(form("whisper-1")));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode now = admin("GET", "/admin/overview").json();
            JsonNode async = now.path("lanes").get(1);
            assertThat(async.path("running").asLong()).as(now.toString()).isPositive();
            assertThat(async.path("held").asLong()).as(now.toString()).isPositive();
            assertThat(now.path("held_sync_requests").asInt())
                    .as(now.toString())
                    .isPositive();
        });
        assertThat(sync.orTimeout(60, TimeUnit.SECONDS).join().statusCode()).isEqualTo(200);
        awaitStatus(running, "succeeded");
        awaitStatus(held, "succeeded");
    }

    @Test
    void theOperatorFindsJobsByKeyStatusModelMetadataAndBatch() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"found\"}")));
        JsonNode key = newKey("{\"name\":\"searched\"}");
        String keyId = key.path("id").asString();
        String tag = "t-" + System.nanoTime();
        String first = submitted(
                form("whisper-1").field("metadata[tag]", tag), key.path("key").asString());
        String second = submitted(
                form("gpt-4o-transcribe").field("metadata[tag]", tag),
                key.path("key").asString());
        String others = submitted(form("whisper-1").field("metadata[tag]", tag), TestSystem.OTHER_API_KEY);
        awaitStatus(first, "succeeded");
        awaitStatus(second, "succeeded");
        awaitStatus(others, "succeeded");

        JsonNode byKey = admin("GET", "/admin/jobs?key_id=" + keyId).json();
        assertThat(ids(byKey)).containsExactly(second, first);
        byKey.path("data")
                .forEach(job -> assertThat(job.path("key_id").asString()).isEqualTo(keyId));
        assertThat(ids(admin("GET", "/admin/jobs?metadata[tag]=" + tag + "&status=succeeded")
                        .json()))
                .containsExactly(others, second, first);
        assertThat(ids(admin("GET", "/admin/jobs?metadata[tag]=" + tag + "&status=failed")
                        .json()))
                .isEmpty();
        assertThat(ids(admin("GET", "/admin/jobs?metadata[tag]=" + tag + "&model=openai/whisper-1")
                        .json()))
                .containsExactly(others, first);
        JsonNode page =
                admin("GET", "/admin/jobs?metadata[tag]=" + tag + "&limit=2").json();
        assertThat(page.path("has_more").asBoolean()).isTrue();
        assertThat(ids(admin(
                                "GET",
                                "/admin/jobs?metadata[tag]=" + tag + "&after="
                                        + page.path("last_id").asString())
                        .json()))
                .containsExactly(first);
        assertThat(admin("GET", "/admin/jobs/" + others).json().path("key_id").asString())
                .isNotEqualTo(keyId)
                .isNotEmpty();
        assertThat(admin("GET", "/admin/jobs?key_id=nope").status()).isEqualTo(400);
        assertThat(client.get("/v1/transcription_jobs/" + first).body())
                .as("a caller's own view names no key")
                .doesNotContain("key_id");

        String batch = JSON.readTree(
                        send("POST", "/v1/transcription_batches", TestSystem.API_KEY, batchOf(2, TestSystem.API_KEY))
                                .body())
                .path("id")
                .asString();
        awaitBatch(batch, "completed");
        JsonNode items = admin("GET", "/admin/jobs?batch_id=" + batch).json();
        assertThat(items.path("data")).hasSize(2);
        items.path("data").forEach(job -> {
            assertThat(job.path("batch_id").asString()).isEqualTo(batch);
            assertThat(job.path("key_id").asString()).isNotEmpty();
        });
    }

    @Test
    void aKeyHolderFiltersTheirOwnJobsByModelAndBatchOnTheServer() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"mine\"}")));
        JsonNode key = newKey("{\"name\":\"filtering\"}");
        String secret = key.path("key").asString();
        String tag = "k-" + System.nanoTime();
        String whisper = submitted(form("whisper-1").field("metadata[tag]", tag), secret);
        String gpt = submitted(form("gpt-4o-transcribe").field("metadata[tag]", tag), secret);
        String others = submitted(form("whisper-1").field("metadata[tag]", tag), TestSystem.OTHER_API_KEY);
        String batch = JSON.readTree(send("POST", "/v1/transcription_batches", secret, batchOf(2, secret))
                        .body())
                .path("id")
                .asString();
        awaitStatus(whisper, "succeeded");
        awaitStatus(gpt, "succeeded");
        awaitStatus(others, "succeeded");
        awaitBatch(batch, "completed");

        assertThat(ids(mine(secret, "/v1/transcription_jobs?metadata[tag]=" + tag + "&model=openai/whisper-1")))
                .as("the model is matched by the server, and only the caller's own jobs are seen")
                .containsExactly(whisper);
        assertThat(ids(mine(secret, "/v1/transcription_jobs?metadata[tag]=" + tag + "&model=openai/gpt-4o-transcribe")))
                .containsExactly(gpt);
        JsonNode inBatch = mine(secret, "/v1/transcription_jobs?batch_id=" + batch + "&status=succeeded");
        assertThat(inBatch.path("data")).hasSize(2);
        inBatch.path("data")
                .forEach(job -> assertThat(job.path("batch_id").asString()).isEqualTo(batch));
        assertThat(ids(mine(TestSystem.OTHER_API_KEY, "/v1/transcription_jobs?batch_id=" + batch)))
                .as("another key's batch lists nothing")
                .isEmpty();
        HttpResponse<String> malformed = send("GET", "/v1/transcription_jobs?batch_id=nope", secret, null);
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(malformed.body()).path("error").path("param").asString())
                .isEqualTo("batch_id");
    }

    private JsonNode mine(String secret, String path) {
        HttpResponse<String> answer = send("GET", path, secret, null);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    @Test
    void aFinishedJobsTimelineRunsFromAcceptedToSucceededAndItsWebhook() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"timed\"}")));
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            String id = submitted(form("whisper-1").field("webhook_url", receiver.url()), TestSystem.API_KEY);
            awaitStatus(id, "succeeded");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !receiver.received().isEmpty());

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (JsonNode timeline : List.of(
                        JSON.readTree(client.get("/v1/transcription_jobs/" + id + "/timeline")
                                .body()),
                        admin("GET", "/admin/jobs/" + id + "/timeline").json())) {
                    assertThat(timeline.path("object").asString()).isEqualTo("list");
                    List<String> events = new ArrayList<>();
                    double previous = 0;
                    for (JsonNode event : timeline.path("data")) {
                        events.add(event.path("event").asString());
                        assertThat(event.path("at").asDouble())
                                .as(timeline.toString())
                                .isGreaterThanOrEqualTo(previous);
                        previous = event.path("at").asDouble();
                    }
                    assertThat(events)
                            .as(timeline.toString())
                            .containsExactly("accepted", "queued", "claimed", "succeeded", "webhook_delivered");
                    JsonNode data = timeline.path("data");
                    assertThat(data.get(0).path("detail").path("lane").asString())
                            .isEqualTo("async");
                    assertThat(data.get(2).path("detail").path("attempt").asInt())
                            .isEqualTo(1);
                    assertThat(data.get(3)
                                    .path("detail")
                                    .path("upstream_account")
                                    .asString())
                            .startsWith("openai-");
                    assertThat(data.get(4).path("detail").path("status").asInt())
                            .isEqualTo(200);
                }
            });
            HttpResponse<String> other =
                    send("GET", "/v1/transcription_jobs/" + id + "/timeline", TestSystem.OTHER_API_KEY, null);
            assertThat(other.statusCode()).as("another key's job").isEqualTo(404);
        }
    }

    @Test
    void theStoredAudioIsStreamedBackAsUploadedToItsOwnerAndTheOperatorOnly() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"kept\"}")));
        byte[] clip = TestAudio.toneWav(0.7);
        String id = submitted(
                new Multipart().field("model", "whisper-1").file("file", "my clip.wav", "audio/wav", clip),
                TestSystem.API_KEY);
        awaitStatus(id, "succeeded");

        for (HttpRequest request : List.of(
                client.request("/v1/transcription_jobs/" + id + "/audio")
                        .header("Authorization", "Bearer " + TestSystem.API_KEY)
                        .GET()
                        .build(),
                client.request("/admin/jobs/" + id + "/audio")
                        .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                        .GET()
                        .build())) {
            HttpResponse<byte[]> audio = bytes(request);
            assertThat(audio.statusCode()).as(request.uri().toString()).isEqualTo(200);
            assertThat(audio.body()).isEqualTo(clip);
            assertThat(audio.headers().firstValue("Content-Length")).hasValue(String.valueOf(clip.length));
            assertThat(audio.headers().firstValue("Content-Type")).hasValue("audio/wav");
            assertThat(audio.headers().firstValue("Content-Disposition"))
                    .hasValueSatisfying(d -> assertThat(d).contains("my_clip.wav"));
        }
        HttpResponse<String> other =
                send("GET", "/v1/transcription_jobs/" + id + "/audio", TestSystem.OTHER_API_KEY, null);
        assertThat(other.statusCode()).as("another key's job").isEqualTo(404);
        assertThat(JSON.readTree(other.body()).path("error").path("code").asString())
                .isEqualTo("not_found");

        admin("DELETE", "/admin/jobs/" + id);
        HttpResponse<String> gone = client.get("/v1/transcription_jobs/" + id + "/audio");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(gone.body()).path("error").path("code").asString())
                .isEqualTo("audio_not_available");
    }

    @Test
    void theOperatorCancelsRetriesAndDeletesAnyKeysJob() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(aResponse().withStatus(503).withBody("{\"error\":{\"message\":\"down\"}}")));
        String failed = submitted(form("whisper-1"), TestSystem.API_KEY);
        awaitStatus(failed, "failed");

        system.resetUpstream(); // closes the circuits the 503s opened
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"retried by the operator\"}").withFixedDelay(1500)));
        Answer retried = admin("POST", "/admin/jobs/" + failed + "/retry");
        assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        assertThat(retried.json().path("status").asString()).isEqualTo("queued");
        assertThat(retried.json().path("key_id").asString()).isNotEmpty();

        String cancelled = submitted(form("whisper-1"), TestSystem.API_KEY);
        Answer cancel = admin("POST", "/admin/jobs/" + cancelled + "/cancel");
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(200);
        assertThat(cancel.json().path("status").asString()).isEqualTo("cancelled");
        assertThat(awaitStatus(failed, "succeeded").path("result").path("text").asString())
                .isEqualTo("retried by the operator");
        assertThat(admin("POST", "/admin/jobs/" + failed + "/cancel").status()).isEqualTo(409);
        assertThat(admin("GET", "/admin/jobs/" + failed + "/transcript?response_format=text")
                        .body())
                .isEqualTo("retried by the operator\n");

        Answer deleted = admin("DELETE", "/admin/jobs/" + failed);
        assertThat(deleted.json().path("deleted").asBoolean()).isTrue();
        assertThat(JSON.readTree(client.get("/v1/transcription_jobs/" + failed).body())
                        .path("deleted")
                        .asBoolean())
                .as("the owner sees the operator's deletion")
                .isTrue();
        assertThat(admin("GET", "/admin/jobs/00000000-0000-0000-0000-000000000000")
                        .status())
                .isEqualTo(404);
    }

    @Test
    void theOperatorListsAndCancelsEveryKeysBatches() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"slow item\"}").withFixedDelay(2000)));
        JsonNode key = newKey("{\"name\":\"batcher\"}");
        String keyId = key.path("id").asString();
        String secret = key.path("key").asString();
        HttpResponse<String> accepted = send("POST", "/v1/transcription_batches", secret, batchOf(6, secret));
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String batch = JSON.readTree(accepted.body()).path("id").asString();

        JsonNode listed = admin("GET", "/admin/batches?key_id=" + keyId).json();
        assertThat(listed.path("data")).hasSize(1);
        assertThat(listed.path("data").get(0).path("id").asString()).isEqualTo(batch);
        assertThat(listed.path("data").get(0).path("key_id").asString()).isEqualTo(keyId);
        assertThat(admin("GET", "/admin/batches/" + batch).json().path("key_id").asString())
                .isEqualTo(keyId);
        awaitBatch(batch, "in_progress");

        Answer cancel = admin("POST", "/admin/batches/" + batch + "/cancel");
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(200);
        assertThat(cancel.json().path("status").asString()).isIn("cancelling", "cancelled");
        await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> ids(admin("GET", "/admin/batches?status=cancelled&key_id=" + keyId)
                                .json()),
                        ids -> ids.contains(batch));
        Answer results = admin("GET", "/admin/batches/" + batch + "/results");
        assertThat(results.status()).isEqualTo(200);
        assertThat(results.body().lines()).hasSize(6);
        assertThat(results.body()).contains("\"status\":\"cancelled\"");
        assertThat(admin("GET", "/admin/batches?status=nope").status()).isEqualTo(400);
    }

    @Test
    void theAccountsShowOneCoolingAfterTheUpstreamAnswers429() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(aResponse()
                        .withStatus(429)
                        .withHeader("retry-after", "120")
                        .withBody("{\"error\":{\"message\":\"slow down\"}}")));
        HttpResponse<String> refused = client.transcribe(form("whisper-1"));
        // 429, or 502 when the retries ran out on an account first: either way the accounts cool down
        assertThat(refused.statusCode()).as(refused.body()).isIn(429, 502);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode accounts = admin("GET", "/admin/upstream_accounts").json();
            assertThat(accounts.path("object").asString()).isEqualTo("list");
            JsonNode cooling = null;
            for (JsonNode account : accounts.path("data")) {
                if (account.path("state").asString().equals("cooling")) {
                    cooling = account;
                }
            }
            assertThat(cooling).as(accounts.toString()).isNotNull();
            assertThat(cooling.path("id").asString()).startsWith("openai-");
            assertThat(cooling.path("provider").asString()).isEqualTo("openai");
            assertThat(cooling.path("cooling_until").asLong())
                    .isGreaterThan(Instant.now().plusSeconds(60).getEpochSecond());
            assertThat(cooling.path("max_concurrency").asInt()).isEqualTo(8);
            assertThat(cooling.path("failures").isObject()).isTrue();
            assertThat(admin("GET", "/admin/overview").json().path("accounts").toString())
                    .contains("\"state\":\"cooling\"");
        });

        system.resetUpstream();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> admin("GET", "/admin/upstream_accounts").body(), body -> !body.contains("\"cooling\""));
    }

    /** An answer, its body as text. */
    private record Answer(int status, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    private Answer admin(String method, String path) {
        HttpResponse<String> response = send(method, path, TestSystem.ADMIN_TOKEN, null);
        return new Answer(response.statusCode(), response.body());
    }

    private JsonNode newKey(String body) {
        HttpResponse<String> created = send("POST", "/admin/keys", TestSystem.ADMIN_TOKEN, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body());
    }

    private HttpResponse<String> send(String method, String path, String bearer, String json) {
        return client.send(client.request(path)
                .header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    private static HttpResponse<byte[]> bytes(HttpRequest request) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String submitted(Multipart form, String key) {
        HttpResponse<String> accepted = client.submitJob(form, key, null);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        return JSON.readTree(accepted.body()).path("id").asString();
    }

    /** Polled through the operator's view, whoever owns the job. */
    private JsonNode awaitStatus(String id, String status) {
        return awaitStatusOf("/admin/jobs/" + id, status);
    }

    private void awaitBatch(String id, String status) {
        awaitStatusOf("/admin/batches/" + id, status);
    }

    private JsonNode awaitStatusOf(String path, String status) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> admin("GET", path).json().path("status").asString(), status::equals);
        return admin("GET", path).json();
    }

    private static List<String> ids(JsonNode list) {
        List<String> ids = new ArrayList<>();
        list.path("data").forEach(item -> ids.add(item.path("id").asString()));
        return ids;
    }

    /** A batch of {@code items} uploads of {@code key}'s. */
    private String batchOf(int items, String key) {
        StringBuilder json = new StringBuilder("{\"model\":\"whisper-1\",\"reuse\":false,\"items\":[");
        for (int i = 0; i < items; i++) {
            json.append(i == 0 ? "" : ",")
                    .append("{\"upload_id\":\"")
                    .append(client.upload(TestAudio.toneWav(0.5), key))
                    .append("\"}");
        }
        return json.append("]}").toString();
    }

    private static Multipart form(String model) {
        return new Multipart().field("model", model).file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
