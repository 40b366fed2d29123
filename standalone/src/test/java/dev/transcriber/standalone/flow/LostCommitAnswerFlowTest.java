package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.ConsumerGroups;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TcpGate;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaAdmin;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The database commits a new job and the api never hears it (the connection ends between the commit and its answer):
 * the job is recorded, so the request is answered as accepted and its audio kept, and the job runs once. A second api
 * reaches PostgreSQL through a relay the test makes lose that one answer. The worker's side: a piece of long audio
 * whose commit the worker never hears is recorded once, and the audio is not cut and transcribed again.
 */
class LostCommitAnswerFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";

    private static TestSystem system;
    private static TcpGate relay;
    private static ConfigurableApplicationContext relayedApi;
    private static ApiClient relayed;
    private static String relayedDatabase;

    @BeforeAll
    static void start() throws Exception {
        system = TestSystem.embedded();
        String name = "--spring.datasource.url=";
        URI database = URI.create(system.infraArguments().stream()
                .filter(a -> a.startsWith(name))
                .map(a -> a.substring(name.length() + "jdbc:".length()))
                .findFirst()
                .orElseThrow());
        relay = TcpGate.to("http://" + database.getHost() + ":" + database.getPort());
        relayedDatabase = name + "jdbc:postgresql://127.0.0.1:"
                + URI.create(relay.endpoint()).getPort() + database.getPath();
        relayedApi = system.startAnotherApi(List.of(relayedDatabase));
        relayed = new ApiClient(
                "http://127.0.0.1:" + relayedApi.getEnvironment().getRequiredProperty("local.server.port"));
    }

    @AfterAll
    static void stop() throws Exception {
        relayedApi.close();
        relay.close();
    }

    @BeforeEach
    void reset() {
        system.resetUpstream();
    }

    @AfterEach
    void nothingLeftArmed() {
        relay.loseNoAnswer();
        relay.mend();
    }

    @Test
    void aSyncRequestWhoseJobCommittedUnheardIsAnsweredFromThatJob() throws Exception {
        system.upstream()
                .stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"committed unheard\"}")));
        String marker = "lost-answer-" + UUID.randomUUID();
        int lost = relay.answersLost();
        relay.loseAnswerAfter(marker, 0); // the insert is one statement that commits on its own

        HttpResponse<String> answer = relayed.transcribe(new Multipart()
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1")
                .field("prompt", marker));

        assertThat(relay.answersLost()).as("the insert's answer was lost").isEqualTo(lost + 1);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).path("text").asString()).isEqualTo("committed unheard");
        List<String> states = jobsWithPrompt(marker);
        assertThat(states).as("one job, run once").containsExactly("succeeded");
        assertThat(system.upstream().findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .hasSize(1);
    }

    @Test
    void aRequestWhoseCommitCannotBeToldIsAnswered503AndItsJobKeepsItsAudio() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"kept in doubt\"}")));
        String marker = "lost-answer-" + UUID.randomUUID();
        relay.loseAnswerAndCutAfter(marker, 0); // the database is gone with the answer: the look-up fails too

        HttpResponse<String> answer = relayed.transcribe(new Multipart()
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1")
                .field("prompt", marker));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
        assertThat(answer.body()).contains("\"code\":\"database_unavailable\"");
        relay.mend();
        String id = system.api()
                .getBean(JdbcClient.class)
                .sql("select id::text from transcription_jobs where prompt = ?")
                .param(marker)
                .query(String.class)
                .single();
        assertThat(system.objectStore().size(ObjectKeys.sourceAudio(dev.transcriber.common.events.JobId.parse(id))))
                .as("the job's audio is kept")
                .isPresent();
        // nobody sent its message: the workers' queue sweep finds the job and sends it
        await().atMost(Duration.ofSeconds(60))
                .until(() -> jobsWithPrompt(marker).equals(List.of("succeeded")));
    }

    @Test
    void aWriteStillRunningWhenItsConnectionEndedIsEndedBeforeItsAudioIsThrownAway() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"never recorded\"}")));
        String marker = "lost-answer-" + UUID.randomUUID();
        java.util.UUID keyId = system.keyId(TestSystem.API_KEY);
        javax.sql.DataSource direct = system.api().getBean(javax.sql.DataSource.class);
        HttpResponse<String> answer;
        try (java.sql.Connection lock = direct.getConnection()) {
            // the job's insert checks its key's row: locked here, the insert waits in the server
            lock.setAutoCommit(false);
            try (var statement = lock.prepareStatement("select id from api_keys where id = ? for update")) {
                statement.setObject(1, keyId);
                statement.executeQuery().close();
            }
            relay.endConnectionAfter(marker); // the api loses the connection; the server goes on waiting

            answer = relayed.transcribe(new Multipart()
                    .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                    .field("model", "whisper-1")
                    .field("prompt", marker));
            lock.rollback();
        }

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.body()).contains("\"code\":\"database_unavailable\"");
        // the waiting insert was ended before the api answered and threw its audio away: it never commits
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> jobsWithPrompt(marker).isEmpty());
    }

    @Test
    void anAsyncJobOfAnUploadWhoseTransactionCommittedUnheardIsAcceptedAndRuns() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"claimed unheard\"}")));
        String upload = new ApiClient(system.apiBaseUrl()).upload(TestAudio.toneWav(0.5), TestSystem.API_KEY);
        String marker = "lost-answer-" + UUID.randomUUID();
        int lost = relay.answersLost();
        // the claim and the insert are one transaction: the answer lost is its commit's, the write after the insert
        relay.loseAnswerAfter(marker, 1);

        HttpResponse<String> accepted = postJson(
                "/v1/transcription_jobs",
                "{\"model\":\"whisper-1\",\"upload_id\":\"" + upload + "\",\"prompt\":\"" + marker + "\"}");

        assertThat(relay.answersLost())
                .as("the commit's answer was lost: " + accepted.body())
                .isEqualTo(lost + 1);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("id").asString();
        JsonNode done = awaitEnd(id);
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.path("result").path("text").asString()).isEqualTo("claimed unheard");
        assertThat(jobsWithPrompt(marker)).containsExactly("succeeded");
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(system.objectStore().size("uploads/" + upload))
                        .as("the caller's object goes once the claim is known to be committed")
                        .isEmpty());
        assertThat(system.objectStore().keys(ObjectKeys.claimedUploads(upload))).hasSize(1);
    }

    @Test
    void aBatchWhoseTransactionCommittedUnheardIsAcceptedAndItsUploadedItemRuns() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"batched unheard\"}")));
        String upload = new ApiClient(system.apiBaseUrl()).upload(TestAudio.toneWav(0.5), TestSystem.API_KEY);
        String marker = "lost-answer-" + UUID.randomUUID();
        int lost = relay.answersLost();
        relay.loseAnswerAfter(marker, 1); // the batch's insert carries the prompt; its commit is the write after

        HttpResponse<String> accepted = postJson(
                "/v1/transcription_batches",
                "{\"model\":\"whisper-1\",\"reuse\":false,\"prompt\":\"" + marker + "\",\"items\":[{\"upload_id\":\""
                        + upload + "\"}]}");

        assertThat(relay.answersLost())
                .as("the commit's answer was lost: " + accepted.body())
                .isEqualTo(lost + 1);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("id").asString();
        ApiClient direct = new ApiClient(system.apiBaseUrl());
        await().atMost(Duration.ofSeconds(60))
                .until(() -> JSON.readTree(
                                direct.get("/v1/transcription_batches/" + id).body())
                        .path("status")
                        .asString()
                        .equals("completed"));
        assertThat(JSON.readTree(direct.get("/v1/transcription_batches/" + id).body())
                        .path("counts")
                        .path("succeeded")
                        .asInt())
                .isEqualTo(1);
        assertThat(jobsWithPrompt(marker)).containsExactly("succeeded");
        assertThat(system.objectStore().size("uploads/" + upload))
                .as("the caller's object goes once the claim is known to be committed")
                .isEmpty();
    }

    @Test
    void aPieceWhoseCommitTheWorkerNeverHeardIsRecordedOnceAndTheAudioIsNotCutAgain() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"piece heard\"}")));
        String name = "lost-piece-" + UUID.randomUUID();
        KafkaListenerEndpointRegistry mainListeners = system.worker().getBean(KafkaListenerEndpointRegistry.class);
        try (Admin admin = Admin.create(system.api().getBean(KafkaAdmin.class).getConfigurationProperties())) {
            Map<String, Integer> mainMembers = stableMembers(admin, Map.of());
            // a worker that reaches PostgreSQL through the relay cuts 20 s of audio into pieces, alone: the first
            // worker's listeners stop until the test ends
            ConfigurableApplicationContext relayedWorker = system.startAnotherWorker(List.of(
                    relayedDatabase, "--transcriber.chunking.min-piece=5s", "--transcriber.chunking.parallelism=3"));
            mainListeners.stop();
            try {
                stableMembers(admin, mainMembers); // the same number of consumers, all the relayed worker's now
                int lost = relay.answersLost();
                // the second piece's row carries its name; the answer lost is its commit's, the write after its insert
                relay.loseAnswerAfter(name + "-part2", 1);

                HttpResponse<String> accepted = new ApiClient(system.apiBaseUrl())
                        .submitJob(
                                new Multipart()
                                        .file("file", name + ".wav", "audio/wav", TestAudio.toneWav(20))
                                        .field("model", "whisper-1"),
                                TestSystem.API_KEY,
                                null);
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                String id = JSON.readTree(accepted.body()).path("id").asString();
                // not after the 40 s lease of the piece's outbox row, whose send after the commit was lost with it
                JsonNode done = awaitEnd(id, Duration.ofSeconds(25));

                assertThat(relay.answersLost())
                        .as("the piece's commit answer was lost")
                        .isEqualTo(lost + 1);
                assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("succeeded");
                List<TranscriptionJob> pieces = system.jobs()
                        .findPieces(
                                dev.transcriber.common.events.JobId.parse(id).value());
                assertThat(pieces)
                        .as("each piece recorded once")
                        .extracting(TranscriptionJob::pieceIndex)
                        .containsExactlyInAnyOrderElementsOf(
                                IntStream.range(0, pieces.size()).boxed().toList())
                        .contains(1);
                assertThat(system.upstream().findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                        .as("each piece transcribed once: the audio was not cut again")
                        .hasSize(pieces.size());
            } finally {
                relayedWorker.close(); // then the first worker's listeners take every partition back
                mainListeners.start();
                stableMembers(admin, mainMembers);
            }
        }
    }

    /**
     * The members of each job lane's consumer group once it is stable; when {@code expected} names a group, waits
     * until it is stable with that many.
     */
    private static Map<String, Integer> stableMembers(Admin admin, Map<String, Integer> expected) {
        Map<String, Integer> members = new java.util.HashMap<>();
        for (String group : List.of("workers", "workers-async", "workers-bulk")) {
            int size = await("the consumer group " + group + " stable")
                    .atMost(Duration.ofSeconds(60))
                    .until(
                            () -> ConsumerGroups.stableMembers(admin, group).size(),
                            n -> n > 0 && (!expected.containsKey(group) || n == expected.get(group)));
            members.put(group, size);
        }
        return members;
    }

    /** {@code POST path} with a JSON body to the relayed api, as the test key. */
    private static HttpResponse<String> postJson(String path, String json) {
        return relayed.send(relayed.request(path)
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    private static List<String> jobsWithPrompt(String prompt) {
        return system
                .api()
                .getBean(JdbcClient.class)
                .sql("select state from transcription_jobs where prompt = ?")
                .param(prompt)
                .query(String.class)
                .list()
                .stream()
                .map(String::toLowerCase)
                .toList();
    }

    private static JsonNode awaitEnd(String id) {
        return awaitEnd(id, Duration.ofSeconds(30));
    }

    private static JsonNode awaitEnd(String id, Duration patience) {
        ApiClient direct = new ApiClient(system.apiBaseUrl());
        await().atMost(patience).until(() -> {
            String status = JSON.readTree(
                            direct.get("/v1/transcription_jobs/" + id).body())
                    .path("status")
                    .asString();
            return status.equals("succeeded") || status.equals("failed");
        });
        return JSON.readTree(direct.get("/v1/transcription_jobs/" + id).body());
    }
}
