package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * The direct hand-off of a sync call's job from the api to a worker, and Kafka under it as the path of record: a job
 * the worker answers directly, one it has no slot for, one whose worker cannot be reached, and one whose worker stops
 * during the call. Every sync call here is answered, and no job runs twice. The worker has one interactive slot;
 * leases last 5 minutes and are never renewed, so only a hand-back can move a job sooner.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HandOffFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";

    private static TestSystem.Isolated isolated;
    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(
                List.of(
                        "--transcriber.worker.max-in-flight=1",
                        "--transcriber.worker.lease=300s",
                        "--transcriber.worker.lease-renewal=1h",
                        "--transcriber.worker.shutdown-grace=1s",
                        "--transcriber.upstream.call-timeout=60s"),
                List.of());
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @BeforeEach
    void reset() {
        system = isolated.system();
        system.resetUpstream();
        upstream = system.upstream();
        client = new ApiClient(system.apiBaseUrl());
    }

    @Test
    @Order(1)
    void theWorkerAJobIsHandedToAnswersWithItsEnd() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Handed straight over.\"}")));
        double endedHere = workerHandOffs(system.worker(), "ended_here");
        double answered = apiHandOffs(system.api(), "answered");
        double carried = carriedAudio(system.worker());

        HttpResponse<String> response = transcribe(client);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("text").asString()).isEqualTo("Handed straight over.");
        assertThat(workerHandOffs(system.worker(), "ended_here")).isEqualTo(endedHere + 1);
        assertThat(apiHandOffs(system.api(), "answered")).isEqualTo(answered + 1);
        assertThat(carriedAudio(system.worker()))
                .as("the call carried the audio it stored")
                .isEqualTo(carried + 1);
        TranscriptionJob job = job(response);
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.attempts()).isEqualTo(1);
    }

    @Test
    @Order(1)
    void audioAHandOffCarriesIsWhatTheRunSendsUpstreamWithoutReadingTheStore() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Carried.\"}")));
        JobId id = JobId.random();
        byte[] audio = storedJob(id);
        system.objectStore().delete(ObjectKeys.sourceAudio(id)); // only the call has the audio now
        double carried = carriedAudio(system.worker());

        HttpResponse<String> run = runOnWorker(id, audio);

        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
        assertThat(JSON.readTree(run.body()).path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(system.jobs().findById(id.value()).orElseThrow().transcriptJson())
                .contains("Carried.");
        assertThat(lastUpstreamBody()).contains(new String(audio, StandardCharsets.ISO_8859_1));
        assertThat(carriedAudio(system.worker())).isEqualTo(carried + 1);
    }

    @Test
    @Order(1)
    void audioCarriedThatIsNotExactlyTheJobsIsNeverTakenForIt() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Stored.\"}")));
        double carried = carriedAudio(system.worker());
        for (boolean sameLength : new boolean[] {true, false}) {
            JobId id = JobId.random();
            byte[] stored = storedJob(id);
            byte[] other = Arrays.copyOf(stored, sameLength ? stored.length : stored.length + 16);
            byte[] mark = "NOT-THIS-AUDIO!!".getBytes(StandardCharsets.US_ASCII); // samples, to a WAV reader
            System.arraycopy(mark, 0, other, other.length - mark.length, mark.length);

            HttpResponse<String> run = runOnWorker(id, other);

            assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
            assertThat(lastUpstreamBody())
                    .as(sameLength ? "same length, other bytes" : "longer")
                    .doesNotContain("NOT-THIS-AUDIO!!")
                    .contains(new String(stored, StandardCharsets.ISO_8859_1));
        }
        assertThat(carriedAudio(system.worker())).isEqualTo(carried);
    }

    @Test
    @Order(2)
    void aCallThatHandsNothingOverDoesNotKeepItsAudioWhileItWaits() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"Once.\"}").withFixedDelay(12_000)));
        Multipart form = new Multipart()
                .field("model", "gpt-4o-transcribe")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
        String key = "carried-" + JobId.random();

        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> transcribe(form, key));
        awaitUpstreamCalls(1);
        // a retry of the same call waits for the first one's job, handing nothing over
        CompletableFuture<HttpResponse<String>> retry = CompletableFuture.supplyAsync(() -> transcribe(form, key));
        await().atMost(Duration.ofSeconds(30)).until(() -> heldRequests(system.api()) >= 2);

        // the first call's copy went with its hand-off; the retry's is given back at once, not when its wait ends
        await().atMost(Duration.ofSeconds(2)).until(() -> carriedBytes(system.api()) == 0);
        assertThat(retry).as("still waiting for the first call's job").isNotDone();
        assertThat(JSON.readTree(first.join().body()).path("text").asString()).isEqualTo("Once.");
        assertThat(JSON.readTree(retry.join().body()).path("text").asString()).isEqualTo("Once.");
    }

    @Test
    @Order(2)
    void aJobTheWorkerHasNoSlotForGoesThroughKafka() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("one slot")
                .whenScenarioStateIs(STARTED)
                .willSetStateTo("freed")
                .willReturn(okJson("{\"text\":\"First.\"}").withFixedDelay(3_000)));
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("one slot")
                .whenScenarioStateIs("freed")
                .willReturn(okJson("{\"text\":\"Second.\"}")));
        double noSlot = workerHandOffs(system.worker(), "no_slot");
        double throughKafka = apiHandOffs(system.api(), "through_kafka");

        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> transcribe(client));
        awaitUpstreamCalls(1);
        // the worker's refusal closes its connection (Tomcat drops one after a 503), so the api keeps no connection to
        // a full worker: behind a Service its next call may reach another one
        HttpResponse<String> refused = runOnWorker(JobId.random());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Connection")).hasValue("close");
        HttpResponse<String> second = transcribe(client);

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(second.body()).path("text").asString()).isEqualTo("Second.");
        assertThat(JSON.readTree(first.join().body()).path("text").asString()).isEqualTo("First.");
        assertThat(workerHandOffs(system.worker(), "no_slot")).isEqualTo(noSlot + 2);
        assertThat(apiHandOffs(system.api(), "through_kafka")).isEqualTo(throughKafka + 1);
        assertThat(job(second).attempts()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void aJobWhoseWorkerCannotBeReachedGoesThroughKafka() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Through the queue.\"}")));
        ConfigurableApplicationContext api = system.startAnotherApi(List.of(
                "--transcriber.api.hand-off.worker=http://127.0.0.1:" + FreePorts.pick(),
                "--transcriber.internal.token="
                        + system.api().getEnvironment().getProperty("transcriber.internal.token")));
        try {
            ApiClient other =
                    new ApiClient("http://127.0.0.1:" + api.getEnvironment().getProperty("local.server.port"));

            HttpResponse<String> response = transcribe(other);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(response.body()).path("text").asString()).isEqualTo("Through the queue.");
            assertThat(apiHandOffs(api, "through_kafka")).isEqualTo(1);
            assertThat(job(response).attempts()).isEqualTo(1);
        } finally {
            api.close();
        }
    }

    @Test
    @Order(4)
    void theInternalRouteRunsOnlyAWholeJobOfTheInteractiveLaneAndHandsAnyOtherBack() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Its own queue.\"}")));
        JobId id = JobId.random();
        TranscriptionJob interactive = system.queuedJobWithStoredAudio(id);
        system.jobs()
                .insertAlone(TranscriptionJob.queued(
                        id, null, Lane.ASYNC, interactive.spec(), interactive.audio(), Instant.now()));

        HttpResponse<String> run = runOnWorker(id);

        assertThat(run.statusCode()).as(run.body()).isEqualTo(409);
        assertThat(JSON.readTree(run.body()).path("error").path("code").asString())
                .isEqualTo("not_claimable");
        // handed back to its own queue, which runs it
        await().atMost(Duration.ofSeconds(30))
                .until(() -> system.jobs().findById(id.value()).orElseThrow().state() == JobState.SUCCEEDED);
        TranscriptionJob job = system.jobs().findById(id.value()).orElseThrow();
        assertThat(job.transcriptJson()).contains("Its own queue.");
        assertThat(job.attempts()).isEqualTo(1);
    }

    @Test
    @Order(4)
    void aPathThatNamesNoJobIsRefusedInOpenAisShape() throws Exception {
        HttpResponse<String> refused = runOnWorker("not-a-job");

        assertThat(refused.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(refused.body()).path("error").path("code").asString())
                .isEqualTo("not_found");
    }

    @Test
    @Order(5) // last: the restarted worker listens on another port, which the api does not know
    void aWorkerThatStopsDuringTheCallHandsTheJobBackAndTheCallIsAnswered() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("worker stops")
                .whenScenarioStateIs(STARTED)
                .willSetStateTo("handed back")
                .willReturn(okJson("{\"text\":\"Never answered in time.\"}").withFixedDelay(45_000)));
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("worker stops")
                .whenScenarioStateIs("handed back")
                .willReturn(okJson("{\"text\":\"Handed back and over.\"}")));

        CompletableFuture<HttpResponse<String>> call = CompletableFuture.supplyAsync(() -> transcribe(client));
        awaitUpstreamCalls(1);
        system.restartWorker();

        HttpResponse<String> response = call.join();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("text").asString()).isEqualTo("Handed back and over.");
        assertThat(job(response).attempts())
                .as("a start handed back does not count")
                .isEqualTo(1);
    }

    /** A queued sync job of {@code id}, its audio stored and its SHA-256 recorded as the api makes one: its audio. */
    private byte[] storedJob(JobId id) throws Exception {
        TranscriptionJob job = system.queuedJobWithStoredAudio(id);
        byte[] audio = system.objectStore().open(job.audio().objectKey()).readAllBytes();
        job.contentHash(
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(audio)));
        system.jobs().insertAlone(job);
        return audio;
    }

    /** The worker's internal route, called as the api calls it. */
    private HttpResponse<String> runOnWorker(Object id) throws Exception {
        return runOnWorker(id, new byte[0]);
    }

    /** The worker's internal route, called as the api calls it, the job's audio carried in its body. */
    private HttpResponse<String> runOnWorker(Object id, byte[] audio) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(system.workerBaseUrl() + "/internal/jobs/" + id + "/run"))
                                .header(
                                        "Authorization",
                                        "Bearer "
                                                + system.worker()
                                                        .getEnvironment()
                                                        .getRequiredProperty("transcriber.internal.token"))
                                .POST(
                                        audio.length == 0
                                                ? HttpRequest.BodyPublishers.noBody()
                                                : HttpRequest.BodyPublishers.ofByteArray(audio))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    /** A sync call of {@code form} with {@code idempotencyKey}. */
    private HttpResponse<String> transcribe(Multipart form, String idempotencyKey) {
        return client.send(HttpRequest.newBuilder(URI.create(system.apiBaseUrl() + "/v1/audio/transcriptions"))
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Idempotency-Key", idempotencyKey)
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                .build());
    }

    private static HttpResponse<String> transcribe(ApiClient api) {
        return api.transcribe(new Multipart()
                .field("model", "gpt-4o-transcribe")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5)));
    }

    private TranscriptionJob job(HttpResponse<String> response) {
        JobId id = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        return system.jobs().findById(id.value()).orElseThrow();
    }

    private void awaitUpstreamCalls(int calls) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)))
                                .size()
                        >= calls);
    }

    /** What the upstream got last, its bytes one character each (its multipart body, the audio in it as sent). */
    private String lastUpstreamBody() {
        List<com.github.tomakehurst.wiremock.verification.LoggedRequest> calls =
                upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
        assertThat(calls).isNotEmpty();
        return new String(calls.getLast().getBody(), StandardCharsets.ISO_8859_1);
    }

    private static double carriedBytes(ConfigurableApplicationContext api) {
        return api.getBean(MeterRegistry.class)
                .get("transcriber.api.hand_offs.carried_bytes")
                .gauge()
                .value();
    }

    private static double heldRequests(ConfigurableApplicationContext api) {
        return api.getBean(MeterRegistry.class)
                .get("transcriber.requests.held")
                .gauge()
                .value();
    }

    private static double carriedAudio(ConfigurableApplicationContext worker) {
        Counter counter = worker.getBean(MeterRegistry.class)
                .find("transcriber.worker.hand_offs.carried_audio")
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private static double workerHandOffs(ConfigurableApplicationContext worker, String outcome) {
        return count(worker, "transcriber.worker.hand_offs", outcome);
    }

    private static double apiHandOffs(ConfigurableApplicationContext api, String outcome) {
        return count(api, "transcriber.api.hand_offs", outcome);
    }

    private static double count(ConfigurableApplicationContext context, String name, String outcome) {
        Counter counter = context.getBean(MeterRegistry.class)
                .find(name)
                .tag("outcome", outcome)
                .counter();
        return counter == null ? 0 : counter.count();
    }
}
