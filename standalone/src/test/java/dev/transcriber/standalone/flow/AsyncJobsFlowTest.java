package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code /v1/transcription_jobs} on the real embedded infrastructure with a WireMock upstream. */
class AsyncJobsFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";

    private static TestSystem.Isolated isolated;
    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    /** A system of its own: the upstream failures these tests cause must not open the shared system's circuits. */
    private static com.sun.net.httpserver.HttpServer audioServer;

    private static final java.util.concurrent.atomic.AtomicInteger flakyFailures =
            new java.util.concurrent.atomic.AtomicInteger();
    private static final java.util.concurrent.atomic.AtomicInteger flakyRequests =
            new java.util.concurrent.atomic.AtomicInteger();

    /** {@code /gated.wav} answers once the test opens the gate; {@link #gatedFetch} says when a worker asked. */
    private static volatile CountDownLatch gate = new CountDownLatch(1);

    private static volatile CompletableFuture<Long> gatedFetch = new CompletableFuture<>();

    @BeforeAll
    static void start() throws Exception {
        List<String> network = List.of("--transcriber.network.allow-list=127.0.0.1");
        isolated = TestSystem.isolated(
                List.of("--transcriber.network.allow-list=127.0.0.1", "--transcriber.audio.fetch-backoff=100ms"),
                network);
        audioServer = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 8);
        byte[] clip = TestAudio.toneWav(0.5);
        audioServer.createContext("/clip.wav", exchange -> {
            try (exchange) {
                exchange.getResponseHeaders().add("Content-Type", "audio/wav");
                exchange.sendResponseHeaders(200, clip.length);
                exchange.getResponseBody().write(clip);
            }
        });
        audioServer.createContext("/flaky.wav", exchange -> {
            try (exchange) {
                flakyRequests.incrementAndGet();
                if (flakyFailures.getAndDecrement() > 0) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                exchange.getResponseHeaders().add("Content-Type", "audio/wav");
                exchange.sendResponseHeaders(200, clip.length);
                exchange.getResponseBody().write(clip);
            }
        });
        audioServer.createContext("/gated.wav", exchange -> {
            try (exchange) {
                gatedFetch.complete(System.nanoTime());
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                exchange.getResponseHeaders().add("Content-Type", "audio/wav");
                exchange.sendResponseHeaders(200, clip.length);
                exchange.getResponseBody().write(clip);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        audioServer.createContext("/moved", exchange -> {
            try (exchange) {
                exchange.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data");
                exchange.sendResponseHeaders(302, -1);
            }
        });
        audioServer.start();
    }

    @AfterAll
    static void stop() {
        isolated.close();
        audioServer.stop(0);
    }

    private static String audioServer(String path) {
        return "http://127.0.0.1:" + audioServer.getAddress().getPort() + path;
    }

    @Test
    void audioUrlIsFetchedByTheWorkerAndPrivateAddressesAreRefused() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"from a url\"}")));

        HttpResponse<String> accepted = submitJson(
                "{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"" + audioServer("/clip.wav") + "\"}", null);

        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("id").asString();
        assertThat(awaitStatus(id, "succeeded").path("result").path("text").asString())
                .isEqualTo("from a url");
        for (String refused : List.of(
                "http://127.0.0.2:8080/a.wav", "http://10.1.2.3/a.wav", "http://169.254.169.254/latest/meta-data")) {
            HttpResponse<String> response =
                    submitJson("{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"" + refused + "\"}", null);
            assertThat(response.statusCode())
                    .as(refused + ": " + response.body())
                    .isEqualTo(400);
            assertThat(JSON.readTree(response.body())
                            .path("error")
                            .path("param")
                            .asString())
                    .isEqualTo("audio_url");
        }
        HttpResponse<String> redirected =
                submitJson("{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"" + audioServer("/moved") + "\"}", null);
        String redirectedId = JSON.readTree(redirected.body()).path("id").asString();
        JsonNode failed = awaitStatus(redirectedId, "failed");
        assertThat(failed.path("error").path("message").asString())
                .contains("not allowed")
                .contains("169.254.169.254");
    }

    @Test
    void aJobCancelledWhileItsAudioIsFetchedIsNotSentUpstreamAndItsAudioGoes() throws Exception {
        gate = new CountDownLatch(1);
        gatedFetch = new CompletableFuture<>();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"never paid for\"}")));
        String id = JSON.readTree(submitJson(
                                "{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"" + audioServer("/gated.wav") + "\"}",
                                null)
                        .body())
                .path("id")
                .asString();
        gatedFetch.get(30, TimeUnit.SECONDS); // a worker claimed the job and fetches its audio

        HttpResponse<String> cancel = client.post("/v1/transcription_jobs/" + id + "/cancel");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        long fetched = stageCount("worker.fetch_audio");
        gate.countDown();

        await().atMost(Duration.ofSeconds(20)).until(() -> stageCount("worker.fetch_audio") > fetched);
        // the audio reached the store after its job ended: the worker pays nothing for it
        await().during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(3))
                .until(() -> upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))).stream()
                        .noneMatch(call -> call.getBodyAsString().contains("gated.wav")));
        assertThat(JSON.readTree(client.get("/v1/transcription_jobs/" + id).body())
                        .path("status")
                        .asString())
                .isEqualTo("cancelled");
        String audio = ObjectKeys.sourceAudio(JobId.parse(id));
        await("nor keeps it")
                .atMost(Duration.ofSeconds(5))
                .until(() -> system.objectStore().size(audio).isEmpty());

        // a worker that died between its fetch and recording it left the audio, its row still naming the URL
        byte[] left = TestAudio.toneWav(0.2);
        system.objectStore().put(audio, new java.io.ByteArrayInputStream(left), left.length, "audio/wav");
        system.worker()
                .getBean(dev.transcriber.worker.retention.RetentionSweeper.class)
                .sweep(java.time.Instant.now().plus(Duration.ofDays(8))); // past the audio's 7 days
        assertThat(system.objectStore().size(audio)).as("retention removes it").isEmpty();
    }

    /** How many times the worker has timed {@code stage} of a job. */
    private long stageCount(String stage) {
        Timer timed = system.worker()
                .getBean(MeterRegistry.class)
                .find(StageTimers.METER)
                .tag("stage", stage)
                .timer();
        return timed == null ? 0 : timed.count();
    }

    @Test
    void anOriginThatFailsForAWhileIsTriedAgainAndItsJobFailsAsRetryableNotAsBadAudio() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"fetched at last\"}")));
        String body = "{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"" + audioServer("/flaky.wav") + "\"}";

        flakyRequests.set(0);
        flakyFailures.set(2); // down for two tries: the third gets it
        String recovered =
                JSON.readTree(submitJson(body, null).body()).path("id").asString();
        assertThat(awaitStatus(recovered, "succeeded")
                        .path("result")
                        .path("text")
                        .asString())
                .isEqualTo("fetched at last");
        assertThat(flakyRequests).hasValue(3);

        flakyFailures.set(1_000); // down for longer than the job's tries
        String failed = JSON.readTree(submitJson(body, null).body()).path("id").asString();
        JsonNode error = awaitStatus(failed, "failed").path("error");
        assertThat(error.path("code").asString()).isEqualTo("audio_source_unavailable");
        assertThat(error.path("message").asString()).contains("503");

        var sweeper = system.worker().getBean(dev.transcriber.worker.retention.RetentionSweeper.class);
        sweeper.sweep(java.time.Instant.now().plus(Duration.ofDays(8))); // its retention passes: nothing to remove

        flakyFailures.set(0); // the origin is back: the owner retries, and the audio is fetched again
        HttpResponse<String> retried = client.post("/v1/transcription_jobs/" + failed + "/retry");
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(awaitStatus(failed, "succeeded").path("result").path("text").asString())
                .isEqualTo("fetched at last");
        String fetched = ObjectKeys.sourceAudio(JobId.parse(failed));
        assertThat(system.objectStore().size(fetched)).isPresent();
        sweeper.sweep(java.time.Instant.now().plus(Duration.ofDays(8)));
        assertThat(system.objectStore().size(fetched))
                .as("the audio fetched by the retry has a retention of its own")
                .isEmpty();
    }

    @Test
    void aJsonBodyThatDoesNotParseIsA400NotA500() {
        for (String body : List.of("{\"model\":", "[1,2]", "{\"model\":\"whisper-1\",\"metadata\":\"x\"}")) {
            HttpResponse<String> refused = submitJson(body, null);
            assertThat(refused.statusCode()).as(body + " -> " + refused.body()).isEqualTo(400);
            assertThat(JSON.readTree(refused.body()).path("error").path("type").asString())
                    .isEqualTo("invalid_request_error");
        }
        assertThat(client.get("/v1/transcription_jobs?limit=many").statusCode()).isEqualTo(400);
    }

    @Test
    void aPresignedUploadBecomesAJobOnce() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"uploaded\"}")));
        JsonNode upload = JSON.readTree(client.post("/v1/transcription_uploads").body());
        byte[] clip = TestAudio.toneWav(0.5);
        HttpResponse<String> put = java.net.http.HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(java.net.URI.create(
                                        upload.path("upload_url").asString()))
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(clip))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

        String body = "{\"model\":\"gpt-4o-transcribe\",\"upload_id\":\""
                + upload.path("id").asString() + "\"}";
        HttpResponse<String> accepted = submitJson(body, null);

        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("id").asString();
        assertThat(awaitStatus(id, "succeeded").path("result").path("text").asString())
                .isEqualTo("uploaded");
        assertThat(submitJson(body, null).statusCode())
                .as("an upload serves one job")
                .isEqualTo(400);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theOpenApiDocumentIsServedAndNamesEveryEndpoint() {
        HttpResponse<String> document =
                client.send(client.request("/openapi.yaml").GET().build());

        assertThat(document.statusCode()).isEqualTo(200);
        Map<String, Object> openApi = new org.yaml.snakeyaml.Yaml().load(document.body());
        assertThat(((Map<String, Object>) openApi.get("paths")).keySet())
                .contains(
                        "/v1/audio/transcriptions",
                        "/v1/transcription_jobs",
                        "/v1/transcription_jobs/{id}",
                        "/v1/transcription_jobs/{id}/transcript",
                        "/v1/transcription_jobs/{id}/cancel",
                        "/v1/transcription_jobs/{id}/retry",
                        "/v1/transcription_jobs/{id}/webhook_deliveries",
                        "/v1/transcription_jobs/{id}/webhook_deliveries/redeliver",
                        "/v1/transcription_uploads",
                        "/v1/transcription_batches",
                        "/v1/transcription_batches/{id}",
                        "/v1/transcription_batches/{id}/jobs",
                        "/v1/transcription_batches/{id}/results",
                        "/v1/transcription_batches/{id}/cancel");
    }

    @Test
    void audioStoredForARequestWhoseJobNeverCommittedIsRemovedOnceItIsADayOld() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"a job of its own\"}")));
        String id = JSON.readTree(client.submitJob(form("gpt-4o-transcribe"), TestSystem.API_KEY, null)
                        .body())
                .path("id")
                .asString();
        awaitStatus(id, "succeeded");
        String named = ObjectKeys.sourceAudio(JobId.parse(id));
        // what an api stored for a request before it died, its job never recorded
        JobId never = JobId.random();
        List<String> strays = List.of(ObjectKeys.sourceAudio(never), ObjectKeys.speakerReference(never, 0));
        byte[] audio = TestAudio.toneWav(0.2);
        strays.forEach(key ->
                system.objectStore().put(key, new java.io.ByteArrayInputStream(audio), audio.length, "audio/wav"));
        var sweep = system.worker().getBean(dev.transcriber.worker.retention.StrayObjects.class);

        sweep.sweep(java.time.Instant.now());
        assertThat(strays.stream().filter(key -> system.objectStore().size(key).isEmpty()))
                .as("not yet a day old: a request may still be recording its job")
                .isEmpty();

        sweep.sweep(java.time.Instant.now().plus(Duration.ofDays(2)));
        assertThat(strays.stream().filter(key -> system.objectStore().size(key).isPresent()))
                .isEmpty();
        assertThat(system.objectStore().size(named))
                .as("a job's own audio stays")
                .isPresent();

        // pointed at a database that knows none of the bucket's jobs (an empty or restored one), it removes nothing
        List<String> unknown = new java.util.ArrayList<>();
        for (int i = 0; i < 600; i++) {
            String key = ObjectKeys.sourceAudio(JobId.random());
            system.objectStore().put(key, new java.io.ByteArrayInputStream(audio), audio.length, "audio/wav");
            unknown.add(key);
        }
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> sweep.sweep(java.time.Instant.now().plus(Duration.ofDays(2))))
                    .hasMessageContaining("have no row in this database");
            assertThat(unknown.stream()
                            .filter(key -> system.objectStore().size(key).isEmpty()))
                    .isEmpty();
        } finally {
            unknown.forEach(system.objectStore()::delete);
        }
    }

    @Test
    void anUploadsCopyClaimedForAJobOrBatchThatNeverCommittedIsRemovedOnceItIsADayOld() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"from an upload\"}")));
        String upload = client.upload(TestAudio.toneWav(0.3), TestSystem.API_KEY);
        HttpResponse<String> accepted = client.send(client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"whisper-1\",\"upload_id\":\"" + upload + "\"}"))
                .build());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JobId job = JobId.parse(JSON.readTree(accepted.body()).path("id").asString());
        awaitStatus(job.toString(), "succeeded");
        String jobsCopy = ObjectKeys.claimedUpload(upload, job);
        // a batch still expanding: its own copy (an archive's) and one for an item its source names, not yet written
        java.util.UUID batchId = java.util.UUID.randomUUID();
        JobId unwrittenItem = JobId.random();
        var api = system.api();
        java.util.UUID keyId = system.keyId(TestSystem.API_KEY);
        api.getBean(org.springframework.transaction.support.TransactionTemplate.class)
                .executeWithoutResult(status -> {
                    var batch = dev.transcriber.common.store.TranscriptionBatch.expanding(
                            batchId,
                            keyId,
                            dev.transcriber.common.store.BatchSource.ITEMS,
                            "[{\"job_id\":\"" + unwrittenItem + "\",\"object_key\":\"k\",\"size_bytes\":1}]",
                            api.getBean(JsonMapper.class)
                                    .writeValueAsString(new dev.transcriber.common.store.JobSpec(
                                            "whisper-1", "json", null, null, null)),
                            null,
                            null,
                            false,
                            false,
                            java.time.Instant.now());
                    batch.takeExpansion("no-worker", java.time.Instant.now().plus(Duration.ofHours(1)));
                    api.getBean(dev.transcriber.common.store.BatchRepository.class)
                            .save(batch);
                });
        List<String> owned = List.of(
                jobsCopy,
                ObjectKeys.claimedUpload("upload_kept1", new JobId(batchId)),
                ObjectKeys.claimedUpload("upload_kept2", unwrittenItem));
        // what an api copied for a job or batch before it died (or could not tell whether its commit went through)
        List<String> strays = List.of(
                ObjectKeys.claimedUpload("upload_stray1", JobId.random()),
                ObjectKeys.claimedUpload("upload_stray2", JobId.random()));
        byte[] audio = TestAudio.toneWav(0.2);
        java.util.stream.Stream.concat(owned.stream().skip(1), strays.stream())
                .forEach(key -> system.objectStore()
                        .put(key, new java.io.ByteArrayInputStream(audio), audio.length, "audio/wav"));
        var sweep = system.worker().getBean(dev.transcriber.worker.retention.StrayObjects.class);
        try {
            sweep.sweep(java.time.Instant.now());
            assertThat(strays.stream()
                            .filter(key -> system.objectStore().size(key).isEmpty()))
                    .as("not yet a day old: a request may still be recording its job")
                    .isEmpty();

            sweep.sweep(java.time.Instant.now().plus(Duration.ofDays(2)));
            assertThat(strays.stream()
                            .filter(key -> system.objectStore().size(key).isPresent()))
                    .isEmpty();
            assertThat(owned.stream()
                            .filter(key -> system.objectStore().size(key).isEmpty()))
                    .as("a job's copy, a batch's, and one for an item its expanding batch names stay")
                    .isEmpty();
        } finally {
            owned.stream().skip(1).forEach(system.objectStore()::delete);
            api.getBean(org.springframework.jdbc.core.simple.JdbcClient.class)
                    .sql("delete from transcription_batches where id = ?")
                    .param(batchId)
                    .update();
        }
    }

    @Test
    void retentionRemovesAudioThenTranscriptsAndKeepsTheRow() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"kept for a while\"}")));
        String id = JSON.readTree(client.submitJob(form("gpt-4o-transcribe"), TestSystem.API_KEY, null)
                        .body())
                .path("id")
                .asString();
        awaitStatus(id, "succeeded");
        var sweeper = system.worker().getBean(dev.transcriber.worker.retention.RetentionSweeper.class);

        sweeper.sweep(java.time.Instant.now().plus(Duration.ofDays(8))); // past the audio's 7 days

        assertThat(system.objectStore().size(ObjectKeys.sourceAudio(JobId.parse(id))))
                .isEmpty();
        assertThat(client.get("/v1/transcription_jobs/" + id + "/transcript").statusCode())
                .isEqualTo(200);

        sweeper.sweep(java.time.Instant.now().plus(Duration.ofDays(31))); // past the transcript's 30 days

        HttpResponse<String> expired = client.get("/v1/transcription_jobs/" + id + "/transcript");
        assertThat(expired.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(expired.body()).path("error").path("code").asString())
                .isEqualTo("transcript_expired");
        assertThat(JSON.readTree(client.get("/v1/transcription_jobs/" + id).body())
                        .path("status")
                        .asString())
                .isEqualTo("succeeded");
    }

    @Test
    void theSameIdempotencyKeyGivesTheSameJobAndADifferentRequestA409() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"once\"}")));
        String key = "idem-" + System.nanoTime();
        String body = "{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"" + audioServer("/clip.wav") + "\"}";

        HttpResponse<String> first = submitJson(body, key);
        HttpResponse<String> again = submitJson(body, key);
        HttpResponse<String> different = submitJson(body.replace("gpt-4o-transcribe", "whisper-1"), key);
        HttpResponse<String> multipartFirst =
                client.submitJob(form("gpt-4o-transcribe"), TestSystem.API_KEY, key + "-m");
        HttpResponse<String> multipartAgain =
                client.submitJob(form("gpt-4o-transcribe"), TestSystem.API_KEY, key + "-m");

        assertThat(JSON.readTree(again.body()).path("id").asString())
                .isEqualTo(JSON.readTree(first.body()).path("id").asString());
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(different.statusCode()).as(different.body()).isEqualTo(409);
        assertThat(JSON.readTree(multipartAgain.body()).path("id").asString())
                .isEqualTo(JSON.readTree(multipartFirst.body()).path("id").asString());
    }

    @BeforeEach
    void setUp() {
        system = isolated.system();
        upstream = system.upstream();
        upstream.resetAll();
        client = new ApiClient(system.apiBaseUrl());
    }

    @Test
    void aSubmittedJobIsAcceptedAtOnceAndPolledToItsTranscriptInEveryFormat() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"async hello\",\"language\":\"english\",\"duration\":0.5,"
                        + "\"segments\":[{\"id\":0,\"start\":0.0,\"end\":0.5,\"text\":\" async hello\"}],"
                        + "\"usage\":{\"type\":\"duration\",\"seconds\":1}}")));

        HttpResponse<String> accepted =
                client.submitJob(form("whisper-1").field("metadata[episode]", "42"), TestSystem.API_KEY, null);

        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode job = JSON.readTree(accepted.body());
        assertThat(job.path("object").asString()).isEqualTo("transcription_job");
        assertThat(job.path("status").asString()).isIn("queued", "running");
        assertThat(job.path("metadata").path("episode").asString()).isEqualTo("42");
        String id = job.path("id").asString();
        JsonNode done = awaitStatus(id, "succeeded");
        assertThat(done.path("usage").path("seconds").asDouble()).isEqualTo(1);
        assertThat(done.path("result").path("text").asString()).isEqualTo("async hello");
        HttpResponse<String> srt = client.get("/v1/transcription_jobs/" + id + "/transcript?response_format=srt");
        assertThat(srt.body()).isEqualTo("1\n00:00:00,000 --> 00:00:00,500\nasync hello\n\n");
        HttpResponse<String> text = client.get("/v1/transcription_jobs/" + id + "/transcript?response_format=text");
        assertThat(text.body()).isEqualTo("async hello\n");
        HttpResponse<String> other = client.send(client.request("/v1/transcription_jobs/" + id)
                .header("Authorization", "Bearer " + TestSystem.OTHER_API_KEY)
                .GET()
                .build());
        assertThat(other.statusCode()).as("another key").isEqualTo(404);
    }

    @Test
    void listsPageNewestFirstAndFilterByStatusAndMetadata() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"x\"}")));
        String batch = "b-" + System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> accepted = client.submitJob(
                    form("gpt-4o-transcribe").field("metadata[batch]", batch).field("metadata[n]", "" + i),
                    TestSystem.API_KEY,
                    null);
            ids.add(JSON.readTree(accepted.body()).path("id").asString());
        }
        ids.forEach(id -> awaitStatus(id, "succeeded"));

        JsonNode first = JSON.readTree(client.get("/v1/transcription_jobs?limit=2&metadata[batch]=" + batch)
                .body());
        JsonNode second = JSON.readTree(client.get("/v1/transcription_jobs?limit=2&metadata[batch]=" + batch + "&after="
                        + first.path("last_id").asString())
                .body());
        JsonNode third = JSON.readTree(client.get("/v1/transcription_jobs?limit=2&metadata[batch]=" + batch + "&after="
                        + second.path("last_id").asString())
                .body());

        assertThat(first.path("object").asString()).isEqualTo("list");
        List<String> listed = new ArrayList<>();
        for (JsonNode page : List.of(first, second, third)) {
            page.path("data").forEach(j -> listed.add(j.path("id").asString()));
        }
        assertThat(listed).isEqualTo(ids.reversed());
        assertThat(first.path("has_more").asBoolean()).isTrue();
        assertThat(third.path("has_more").asBoolean()).isFalse();
        assertThat(first.path("first_id").asString()).isEqualTo(ids.get(4));
        JsonNode onlyOne = JSON.readTree(
                client.get("/v1/transcription_jobs?metadata[batch]=" + batch + "&metadata[n]=3&status=succeeded")
                        .body());
        assertThat(onlyOne.path("data").size()).isEqualTo(1);
        assertThat(onlyOne.path("data").get(0).path("id").asString()).isEqualTo(ids.get(3));
        assertThat(JSON.readTree(client.get("/v1/transcription_jobs?metadata[batch]=" + batch + "&status=failed")
                                .body())
                        .path("data")
                        .size())
                .isZero();
        assertThat(client.get("/v1/transcription_jobs?status=done").statusCode())
                .isEqualTo(400);
        // the machine's inner states are not statuses a caller can see, or filter by
        for (String inner : new String[] {"held", "awaiting_pieces"}) {
            assertThat(client.get("/v1/transcription_jobs?status=" + inner).statusCode())
                    .as(inner)
                    .isEqualTo(400);
        }
    }

    @Test
    void aQueuedJobIsCancelledAFailedOneRetriedAndADeletedOneLeavesNoObjects() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(aResponse().withStatus(503).withBody("{\"error\":{\"message\":\"down\"}}")));
        String failed = JSON.readTree(client.submitJob(form("gpt-4o-transcribe"), TestSystem.API_KEY, null)
                        .body())
                .path("id")
                .asString();
        awaitStatus(failed, "failed");

        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"second time lucky\"}").withFixedDelay(1500)));
        HttpResponse<String> retried = client.post("/v1/transcription_jobs/" + failed + "/retry");
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(JSON.readTree(retried.body()).path("status").asString()).isEqualTo("queued");
        // While the retried job is held up by the slow upstream, another waits its turn or runs: cancel it.
        String cancelled = JSON.readTree(client.submitJob(form("gpt-4o-transcribe"), TestSystem.API_KEY, null)
                        .body())
                .path("id")
                .asString();
        HttpResponse<String> cancel = client.post("/v1/transcription_jobs/" + cancelled + "/cancel");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        assertThat(JSON.readTree(cancel.body()).path("status").asString()).isEqualTo("cancelled");
        assertThat(awaitStatus(failed, "succeeded").path("result").path("text").asString())
                .isEqualTo("second time lucky");
        assertThat(JSON.readTree(client.get("/v1/transcription_jobs/" + cancelled)
                                .body())
                        .path("status")
                        .asString())
                .as("a cancelled job stays cancelled even if a worker had it")
                .isEqualTo("cancelled");
        assertThat(client.post("/v1/transcription_jobs/" + failed + "/cancel").statusCode())
                .isEqualTo(409);

        HttpResponse<String> deleted = client.send(client.request("/v1/transcription_jobs/" + failed)
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .DELETE()
                .build());
        assertThat(JSON.readTree(deleted.body()).path("deleted").asBoolean()).isTrue();
        assertThat(system.objectStore().size(ObjectKeys.sourceAudio(JobId.parse(failed))))
                .isEmpty();
        JsonNode tombstone =
                JSON.readTree(client.get("/v1/transcription_jobs/" + failed).body());
        assertThat(tombstone.path("deleted").asBoolean()).isTrue();
        assertThat(tombstone.has("result")).isFalse();
        assertThat(client.get("/v1/transcription_jobs/" + failed + "/transcript")
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void theSyncEndpointsJobsAreTheSameJobs() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"same job\"}")));

        HttpResponse<String> sync = client.transcribe(form("gpt-4o-transcribe"));

        String id = sync.headers().firstValue("X-Transcription-Job-Id").orElseThrow();
        HttpResponse<String> text = client.get("/v1/transcription_jobs/" + id + "/transcript?response_format=text");
        assertThat(text.body()).isEqualTo("same job\n");
        assertThat(client.get("/v1/transcription_jobs/" + id + "/transcript?response_format=srt")
                        .statusCode())
                .as("gpt-4o gives no timestamps")
                .isEqualTo(400);
    }

    private JsonNode awaitStatus(String id, String status) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> JSON.readTree(
                                client.get("/v1/transcription_jobs/" + id).body())
                        .path("status")
                        .asString()
                        .equals(status));
        return JSON.readTree(client.get("/v1/transcription_jobs/" + id).body());
    }

    private static Multipart form(String model) {
        return new Multipart().field("model", model).file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }

    private HttpResponse<String> submitJson(String body, String idempotencyKey) {
        HttpRequest.Builder request = client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return client.send(request.build());
    }
}
