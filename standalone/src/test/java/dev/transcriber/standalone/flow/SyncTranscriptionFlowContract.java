package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.serverError;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.outbox.OutboxMessage;
import dev.transcriber.common.outbox.OutboxRepository;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.worker.accounts.AccountPool;
import dev.transcriber.worker.retention.TranscriptRetention;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The synchronous path end to end, on real Kafka, PostgreSQL and S3 and a fake upstream that is a real HTTP server.
 * Each subclass supplies the infrastructure.
 */
abstract class SyncTranscriptionFlowContract {

    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";
    private static final String JOB_HEADER = "X-Transcription-Job-Id";
    private static final String TOKEN_USAGE = """
            {"type":"tokens","input_tokens":14,"output_tokens":11,"total_tokens":25,
             "input_token_details":{"audio_tokens":14,"text_tokens":0}}""";

    private final JsonMapper json = JsonMapper.builder().build();
    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    abstract TestSystem system();

    @BeforeEach
    void setUp() {
        system = system();
        upstream = system.upstream();
        system.resetUpstream();
        client = new ApiClient(system.apiBaseUrl());
    }

    @Test
    void transcribesThroughTheQueueAndAnswersWithTextAndUsage() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"Hello, world.\",\"usage\":" + TOKEN_USAGE + "}")));
        byte[] audio = TestAudio.toneWav(1.5);

        HttpResponse<String> response = client.transcribe(new Multipart()
                .file("file", "meeting.wav", "audio/wav", audio)
                .field("model", "openai/gpt-4o-transcribe")
                .field("prompt", "A meeting about APIs.")
                .field("language", "en")
                .field("temperature", "0.2"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = json.readTree(response.body());
        assertThat(body.get("text").asString()).isEqualTo("Hello, world.");
        assertThat(body.get("usage")).isEqualTo(json.readTree(TOKEN_USAGE));
        JobId jobId = JobId.parse(response.headers().firstValue(JOB_HEADER).orElseThrow());

        List<LoggedRequest> calls = upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
        assertThat(calls).hasSize(1);
        LoggedRequest call = calls.getFirst();
        assertThat(call.getHeader("Authorization"))
                .isIn(TestSystem.UPSTREAM_KEYS.stream().map(k -> "Bearer " + k).toList());
        assertThat(part(call, "model")).isEqualTo("gpt-4o-transcribe");
        assertThat(part(call, "prompt")).isEqualTo("A meeting about APIs.");
        assertThat(part(call, "language")).isEqualTo("en");
        assertThat(part(call, "temperature")).isEqualTo("0.2");
        assertThat(call.getPart("file").getBody().asBytes()).isEqualTo(audio);
        assertThat(call.getPart("file")
                        .getHeaders()
                        .getHeader("Content-Disposition")
                        .firstValue())
                .contains("filename=\"meeting.wav\"");

        TranscriptionJob job = system.jobs().findById(jobId.value()).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.audio().sizeBytes()).isEqualTo(audio.length);
        assertThat(job.attempts()).isEqualTo(1);
        assertThat(system.objectStore().size(ObjectKeys.sourceAudio(jobId))).contains((long) audio.length);

        // A caller whose connection dropped fetches the result by the id in the header; other keys cannot.
        HttpResponse<String> later = client.send(client.request("/v1/transcription_jobs/" + jobId)
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .GET()
                .build());
        assertThat(later.statusCode()).as(later.body()).isEqualTo(200);
        JsonNode view = json.readTree(later.body());
        assertThat(view.get("status").asString()).isEqualTo("succeeded");
        assertThat(view.get("result").get("text").asString()).isEqualTo("Hello, world.");
        assertThat(view.get("result").get("usage")).isEqualTo(json.readTree(TOKEN_USAGE));
    }

    @Test
    void failedJobCanBeFetchedWithItsErrorAndUnknownIdsAreNotFound() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(serverError()));
        HttpResponse<String> response = client.transcribe(audioForm());
        String jobId = response.headers().firstValue(JOB_HEADER).orElseThrow();

        HttpResponse<String> view = client.send(client.request("/v1/transcription_jobs/" + jobId)
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .GET()
                .build());
        HttpResponse<String> unknown = client.send(client.request("/v1/transcription_jobs/not-a-job")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .GET()
                .build());

        assertThat(view.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(view.body());
        assertThat(body.get("status").asString()).isEqualTo("failed");
        assertThat(body.get("error").get("code").asString()).isEqualTo("upstream_error");
        assertThat(body.has("result")).isFalse();
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json.readTree(unknown.body()).get("error").get("code").asString())
                .isEqualTo("not_found");
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyGetsTheFirstJobsAnswerWithoutASecondJob() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"Only once.\"}").withFixedDelay(1500)));
        Multipart form = audioForm();
        String key = "retry-" + java.util.UUID.randomUUID();

        var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> withKey(form, key));
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> !upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)))
                        .isEmpty());
        // the caller's connection dropped before the answer: it learns its job's id by the key, without the audio
        HttpResponse<String> lookup = client.send(client.request("/v1/transcription_jobs?idempotency_key=" + key)
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .GET()
                .build());
        JsonNode found = json.readTree(lookup.body()).get("data");
        assertThat(found).as(lookup.body()).hasSize(1);
        HttpResponse<String> retry = withKey(form, key); // and sends again
        HttpResponse<String> original = first.get(30, java.util.concurrent.TimeUnit.SECONDS);
        HttpResponse<String> later = withKey(form, key);

        for (HttpResponse<String> response : List.of(original, retry, later)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(json.readTree(response.body()).get("text").asString()).isEqualTo("Only once.");
            assertThat(response.headers().firstValue(JOB_HEADER))
                    .isEqualTo(original.headers().firstValue(JOB_HEADER));
        }
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(original.headers().firstValue(JOB_HEADER))
                .contains(found.get(0).get("id").asString());
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .hasSize(1);

        HttpResponse<String> different = withKey(audioForm().field("language", "fr"), key);
        assertThat(different.statusCode()).isEqualTo(409);
        assertThat(json.readTree(different.body()).path("error").path("code").asString())
                .isEqualTo("idempotency_key_reused");
    }

    @Test
    void theSameKeyAfterItsJobWasDeletedAnswersThatItsTranscriptIsGone() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Soon gone.\"}")));

        for (boolean stream : List.of(false, true)) {
            Multipart form = stream ? audioForm().field("stream", "true") : audioForm();
            String key = "gone-" + stream + "-" + System.nanoTime();
            HttpResponse<String> first = withKey(form, key);
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            String job = first.headers().firstValue(JOB_HEADER).orElseThrow();
            HttpResponse<String> deleted = client.send(client.request("/v1/transcription_jobs/" + job)
                    .header("Authorization", "Bearer " + TestSystem.API_KEY)
                    .DELETE()
                    .build());
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);

            HttpResponse<String> again = withKey(form, key);

            assertThat(again.statusCode())
                    .as("stream=%s: %s", stream, again.body())
                    .isEqualTo(404);
            assertThat(json.readTree(again.body()).path("error").path("code").asString())
                    .isEqualTo("transcript_deleted");
        }
    }

    @Test
    void theSameKeyAfterRetentionRemovedItsTranscriptAnswersThatItExpired() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Kept a while.\"}")));

        for (boolean stream : List.of(false, true)) {
            Multipart form = stream ? audioForm().field("stream", "true") : audioForm();
            String key = "expired-" + stream + "-" + System.nanoTime();
            HttpResponse<String> first = withKey(form, key);
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            JobId job = JobId.parse(first.headers().firstValue(JOB_HEADER).orElseThrow());
            // the job ended longer ago than the transcripts' retention (30 days), and the worker's retention ran
            system.api()
                    .getBean(org.springframework.jdbc.core.simple.JdbcClient.class)
                    .sql("update transcription_jobs set finished_at = now() - interval '31 days' where id = :id")
                    .param("id", job.value())
                    .update();
            system.worker().getBean(TranscriptRetention.class).removeExpired(Instant.now());
            assertThat(system.jobs().findById(job.value()).orElseThrow().transcriptJson())
                    .isNull();

            HttpResponse<String> again = withKey(form, key);

            assertThat(again.statusCode())
                    .as("stream=%s: %s", stream, again.body())
                    .isEqualTo(404);
            JsonNode error = json.readTree(again.body()).path("error");
            assertThat(error.path("code").asString()).isEqualTo("transcript_expired");
            assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
            assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                    .as("the upstream was not asked again")
                    .hasSize(stream ? 2 : 1);
        }
    }

    @Test
    void aStreamAskedForInATimestampFormatIsAnsweredWholeInThatFormat() {
        // whisper-1 with srt: OpenAI ignores stream for whisper-1 and answers the subtitles; events of text would
        // lose the timestamps the caller asked for
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"timed words\",\"language\":\"english\",\"duration\":0.5,"
                        + "\"segments\":[{\"id\":0,\"start\":0.0,\"end\":0.5,\"text\":\" timed words\"}]}")));

        HttpResponse<String> response = client.transcribe(new Multipart()
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1")
                .field("response_format", "srt")
                .field("stream", "true"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("1\n00:00:00,000 --> 00:00:00,500\ntimed words\n\n");
    }

    private HttpResponse<String> withKey(Multipart form, String key) {
        return client.send(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", form.contentType())
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                .build());
    }

    @Test
    void aStreamWhoseJobFailsBeforeAnyTextAnswersWithTheErrorStatus() {
        // slower than the api's completion poller (500 ms in tests), which used to start every stream on its tick
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(aResponse()
                        .withStatus(400)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Audio file might be corrupted.\"}}")
                        .withFixedDelay(2000)));

        HttpResponse<String> response = client.transcribe(audioForm().field("stream", "true"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(json.readTree(response.body()).path("error").path("message").asString())
                .contains("Audio file might be corrupted.");
    }

    @Test
    void answersPlainTextForResponseFormatText() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Plain words.\"}")));

        HttpResponse<String> response = client.transcribe(audioForm().field("response_format", "text"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        assertThat(response.body()).isEqualTo("Plain words.\n");
    }

    @Test
    void retriesAnUpstream500AndSucceeds() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("flaky")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(serverError().withBody("{\"error\":{\"message\":\"overloaded\"}}"))
                .willSetStateTo("recovered"));
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("flaky")
                .whenScenarioStateIs("recovered")
                .willReturn(okJson("{\"text\":\"Second time lucky.\"}")));

        HttpResponse<String> response = client.transcribe(audioForm());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json.readTree(response.body()).get("text").asString()).isEqualTo("Second time lucky.");
        List<LoggedRequest> calls = upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).getHeader("Authorization"))
                .as("the retry goes to the other account")
                .isNotEqualTo(calls.get(1).getHeader("Authorization"));
        assertThat(calls)
                .as("each attempt sends the whole audio: the retry reads the object again")
                .allSatisfy(call ->
                        assertThat(call.getPart("file").getBody().asBytes()).isEqualTo(TestAudio.toneWav(0.5)));
    }

    @Test
    void upstreamThatKeepsFailingGives502AfterTheRetryBudget() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(serverError()));

        HttpResponse<String> response = client.transcribe(audioForm());

        assertError(response, 502, "server_error", "upstream_error", "Upstream transcription service error");
        assertThat(response.headers().firstValue(JOB_HEADER)).isPresent();
        upstream.verify(TestSystem.UPSTREAM_ATTEMPTS, postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
    }

    @Test
    void upstreamThatResetsConnectionsGives502() {
        upstream.stubFor(
                post(urlEqualTo(UPSTREAM_PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        HttpResponse<String> response = client.transcribe(audioForm());

        assertError(response, 502, "server_error", "upstream_error", "Upstream transcription service error");
        upstream.verify(TestSystem.UPSTREAM_ATTEMPTS, postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
    }

    @Test
    void everyAccountRateLimitedGivesTheSeeds429WithResetsAt() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "2")));
        AccountPool pool = system.worker().getBean(AccountPool.class);

        HttpResponse<String> response = client.transcribe(audioForm());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
        JsonNode error = json.readTree(response.body()).get("error");
        assertThat(error.get("type").asString()).isEqualTo("rate_limit_error");
        assertThat(error.get("code").asString()).isEqualTo("rate_limit_exceeded");
        Instant resetsAt = Instant.parse(error.get("resets_at").asString());
        assertThat(error.get("message").asString()).isEqualTo("Rate limit exceeded. Usage resets at " + resetsAt + ".");
        assertThat(resetsAt)
                .isBetween(Instant.now().minusSeconds(1), Instant.now().plusSeconds(3));
        upstream.verify(TestSystem.UPSTREAM_KEYS.size(), postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
        // Operators see the cooldown on the worker's admin endpoint, with the failures by kind.
        HttpResponse<String> admin = client.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(system.workerBaseUrl() + "/admin/accounts"))
                        .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                        .GET()
                        .build());
        assertThat(admin.statusCode()).as(admin.body()).isEqualTo(200);
        JsonNode accounts = json.readTree(admin.body()).get("data");
        assertThat(accounts.valueStream()
                        .map(a -> a.get("failures").get("rate_limited").asLong()))
                .allSatisfy(n -> assertThat(n).isPositive());
        // The accounts come back by themselves once the reset time has passed.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(pool.status())
                        .allSatisfy(a -> assertThat(a.state()).isEqualTo("active")));
    }

    @Test
    void upstreamRejectionIsNotRetriedAndReachesTheCallerAs400() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(aResponse()
                        .withStatus(400)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Invalid file format.\"}}")));

        HttpResponse<String> response = client.transcribe(audioForm());

        assertError(
                response,
                400,
                "invalid_request_error",
                "invalid_request_error",
                "The upstream service rejected the request: Invalid file format.");
        upstream.verify(1, postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
    }

    @Test
    void missingFile() {
        HttpResponse<String> response = client.transcribe(new Multipart().field("model", "gpt-4o-transcribe"));

        assertError(
                response, 400, "invalid_request_error", "invalid_request_error", "Missing required parameter: file");
        assertThat(json.readTree(response.body()).get("error").get("param").asString())
                .isEqualTo("file");
    }

    @Test
    void missingModelLeavesNoObjectBehind() {
        HttpResponse<String> response =
                client.transcribe(new Multipart().file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5)));

        assertError(
                response, 400, "invalid_request_error", "invalid_request_error", "Missing required parameter: model");
        assertThat(json.readTree(response.body()).get("error").get("param").asString())
                .isEqualTo("model");
        assertNoObjectFor(response);
    }

    @Test
    void unknownModelIsRefusedWithParamModel() {
        HttpResponse<String> response = client.transcribe(new Multipart()
                .file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "gpt-4.1"));

        assertError(
                response,
                400,
                "invalid_request_error",
                "invalid_request_error",
                "Unsupported transcription model 'gpt-4.1'. Only 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe',"
                        + " 'whisper-1' and 'gpt-4o-transcribe-diarize' are supported.");
        assertThat(json.readTree(response.body()).get("error").get("param").asString())
                .isEqualTo("model");
        assertNoObjectFor(response);
    }

    @Test
    void formatsNotServedYetGetAClear400() {
        HttpResponse<String> response = client.transcribe(audioForm().field("response_format", "srt"));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = json.readTree(response.body()).get("error");
        assertThat(error.get("param").asString()).isEqualTo("response_format");
        assertThat(error.get("message").asString()).contains("srt");
    }

    @Test
    void emptyFileIsRefused() {
        HttpResponse<String> response = client.transcribe(new Multipart()
                .file("file", "empty.wav", "audio/wav", new byte[0])
                .field("model", "gpt-4o-transcribe"));

        assertError(response, 400, "invalid_request_error", "invalid_request_error", "The audio file is empty.");
        assertNoObjectFor(response);
    }

    @Test
    void bodyThatIsNotMultipartIsRefused() {
        HttpResponse<String> response = client.send(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-transcribe\"}"))
                .build());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = json.readTree(response.body()).get("error");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asString()).contains("multipart/form-data");
    }

    @Test
    void uploadOverTheLimitGives413AndLeavesNoObjectBehind() {
        byte[] tooBig = new byte[(int) TestSystem.MAX_UPLOAD_BYTES + 1];

        HttpResponse<String> response = client.transcribe(
                new Multipart().field("model", "gpt-4o-transcribe").file("file", "big.wav", "audio/wav", tooBig));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        JsonNode error = json.readTree(response.body()).get("error");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asString()).isEqualTo("file");
        assertNoObjectFor(response);
    }

    @Test
    void missingOrWrongApiKeyGives401() {
        HttpResponse<String> none = client.transcribe(audioForm(), null);
        HttpResponse<String> wrong = client.transcribe(audioForm(), "sk-not-a-key");

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(json.readTree(wrong.body()).get("error").get("code").asString())
                .isEqualTo("invalid_api_key");
        upstream.verify(0, postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
    }

    @Test
    void adminEndpointNeedsTheAdminToken() {
        HttpResponse<String> none = client.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(system.workerBaseUrl() + "/admin/accounts"))
                        .GET()
                        .build());
        HttpResponse<String> callerKey = client.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(system.workerBaseUrl() + "/admin/accounts"))
                        .header("Authorization", "Bearer " + TestSystem.API_KEY)
                        .GET()
                        .build());

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(callerKey.statusCode()).isEqualTo(401);
        assertThat(json.readTree(none.body()).get("error").get("code").asString())
                .isEqualTo("admin_unauthorized");
    }

    @Test
    void listsTheModelsServedInBothSpellings() {
        HttpResponse<String> response = client.send(client.request("/v1/models")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .GET()
                .build());

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> ids = json.readTree(response.body())
                .get("data")
                .valueStream()
                .map(m -> m.get("id").asString())
                .toList();
        assertThat(ids).contains("gpt-4o-transcribe", "openai/gpt-4o-transcribe", "whisper-1", "openai/whisper-1");
    }

    @Test
    void jobWhoseEventNeverReachedKafkaIsRelayedFromTheOutbox() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Relayed.\"}")));
        JobId jobId = JobId.random();
        TranscriptionJob job = system.queuedJobWithStoredAudio(jobId);
        // As if the broker was down when a worker put the job back in the queue (a hand-back, a release by the
        // admission scheduler, a re-send): the job and its event are in PostgreSQL, not in Kafka. (A new job's own
        // message is a notice without a row; queuedJobWhoseMessageIsGoneIsSentAgain covers its loss.)
        inTransaction(() -> {
            system.jobs().save(job);
            system.api()
                    .getBean(OutboxRepository.class)
                    .save(new OutboxMessage(
                            Topics.JOBS, jobId.toString(), "{\"jobId\":\"" + jobId + "\"}", Instant.now()));
        });

        awaitSucceeded(jobId, 1);
    }

    @Test
    void queuedJobWhoseMessageIsGoneIsSentAgain() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Swept.\"}")));
        JobId jobId = JobId.random();
        // As if its message was dead-lettered, lost or never sent: the job is queued in PostgreSQL, and neither Kafka
        // nor the outbox has its message.
        inTransaction(() -> system.jobs().save(system.queuedJobWithStoredAudio(jobId)));

        awaitSucceeded(jobId, 1);
    }

    @Test
    void jobAbandonedByADeadWorkerIsRecovered() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"Recovered.\"}")));
        JobId jobId = JobId.random();
        TranscriptionJob job = system.queuedJobWithStoredAudio(jobId);
        // A worker claimed the job, then died: its lease has run out and nobody renews it.
        job.claim("dead-worker", Instant.now().minusSeconds(1), Instant.now().minusSeconds(60));
        inTransaction(() -> system.jobs().save(job));

        awaitSucceeded(jobId, 2);
    }

    private void inTransaction(Runnable work) {
        system.api().getBean(TransactionTemplate.class).executeWithoutResult(status -> work.run());
    }

    private void awaitSucceeded(JobId jobId, int attempts) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TranscriptionJob job = system.jobs().findById(jobId.value()).orElseThrow();
            assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.attempts()).isEqualTo(attempts);
        });
    }

    private static Multipart audioForm() {
        return new Multipart()
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "gpt-4o-transcribe");
    }

    private static String part(LoggedRequest request, String name) {
        return request.getPart(name).getBody().asString();
    }

    private void assertError(HttpResponse<String> response, int status, String type, String code, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode error = json.readTree(response.body()).get("error");
        assertThat(error.get("message").asString()).isEqualTo(message);
        assertThat(error.get("type").asString()).isEqualTo(type);
        assertThat(error.get("code").asString()).isEqualTo(code);
        assertThat(error.has("param")).isTrue();
        assertThat(response.body()).doesNotContain("Exception", "at dev.", "at org.");
    }

    private void assertNoObjectFor(HttpResponse<String> response) {
        JobId jobId = JobId.parse(response.headers().firstValue(JOB_HEADER).orElseThrow());
        assertThat(system.objectStore().size(ObjectKeys.sourceAudio(jobId))).isEmpty();
        assertThat(system.jobs().findById(jobId.value())).isEmpty();
    }
}
