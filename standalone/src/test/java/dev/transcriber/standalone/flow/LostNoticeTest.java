package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.worker.accounts.AccountPool;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job's end reaches the api instance holding its request as a notice sent after the ending commit, without an
 * outbox row ({@code JobFinished}); the api also looks for its held jobs' ends in the database
 * ({@code transcriber.api.completion-poll-interval}, 2 s). A notice lost with its sender or refused by the broker
 * therefore delays the answer by at most that interval, and loses nothing. A sync call's notice carries its answer,
 * which the api renders without reading the row. A system of its own: the worker's slow upstream call and its latency
 * would sway the shared system's account choices.
 */
class LostNoticeTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ExecutorService CALLERS = Executors.newVirtualThreadPerTaskExecutor();

    private static TestSystem.Isolated isolated;
    private static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(List.of("--transcriber.upstream.call-timeout=30s"), List.of());
        system = isolated.system();
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @Test
    void aHeldRequestWhoseJobEndedWithoutItsNoticeIsAnsweredFromTheDatabase() throws Exception {
        Instant sent = Instant.now();
        CompletableFuture<HttpResponse<String>> held = holdASyncRequest(new Multipart()
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1"));
        TranscriptionJob running = runningSince(sent);

        // The job ends as if its notice were lost (its sender died after the commit, or the broker refused it): only
        // the row says so.
        Instant ended = Instant.now();
        system.api().getBean(TransactionTemplate.class).executeWithoutResult(status -> {
            TranscriptionJob job = system.jobs().findById(running.id().value()).orElseThrow();
            job.succeed("{\"text\":\"Found in the database.\"}", "account-x", ended);
            system.jobs().save(job);
        });

        HttpResponse<String> answer = held.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).get("text").asString()).isEqualTo("Found in the database.");
        assertThat(Duration.between(ended, Instant.now()))
                .as("released by the api's look at the database, before the upstream answers")
                .isLessThan(Duration.ofSeconds(5));

        // the worker's late answer is dropped: the job ended without it
        AccountPool pool = system.worker().getBean(AccountPool.class);
        await().atMost(Duration.ofSeconds(15))
                .until(() -> pool.status().stream().allMatch(account -> account.inFlight() == 0));
        assertThat(system.jobs().findById(running.id().value()).orElseThrow().transcriptJson())
                .contains("Found in the database.");
    }

    @Test
    void aHeldRequestIsAnsweredFromTheAnswerItsNoticeCarriesWithoutReadingTheRow() throws Exception {
        Instant sent = Instant.now();
        CompletableFuture<HttpResponse<String>> held = holdASyncRequest(new Multipart()
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1")
                .field("response_format", "text"));
        TranscriptionJob running = runningSince(sent);

        // A notice with an answer, while the row still says RUNNING: only an answer taken from the notice can be 200.
        String notice = system.api()
                .getBean(EventCodec.class)
                .write(new JobFinished(
                        running.id(),
                        "SUCCEEDED",
                        new JobFinished.Answer("{\"text\":\"Carried by the notice.\"}", "account-n")));
        @SuppressWarnings("unchecked")
        KafkaTemplate<String, String> kafka = system.api().getBean(KafkaTemplate.class);
        kafka.send(Topics.FINISHED, running.id().toString(), notice).get(10, TimeUnit.SECONDS);

        HttpResponse<String> answer = held.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).as("rendered as this request asked: text").isEqualTo("Carried by the notice.\n");
        assertThat(answer.headers().firstValue("X-Upstream-Account")).hasValue("account-n");
        assertThat(system.jobs().findById(running.id().value()).orElseThrow().state())
                .as("answered before the job's row ended")
                .isEqualTo(JobState.RUNNING);

        // the worker's own end comes later, and its notice finds nobody holding the request
        AccountPool pool = system.worker().getBean(AccountPool.class);
        await().atMost(Duration.ofSeconds(15))
                .until(() -> system.jobs()
                                        .findById(running.id().value())
                                        .orElseThrow()
                                        .state()
                                == JobState.SUCCEEDED
                        && pool.status().stream().allMatch(account -> account.inFlight() == 0));
    }

    /** A sync request held on a virtual thread, against an upstream that answers after 6 s. */
    private static CompletableFuture<HttpResponse<String>> holdASyncRequest(Multipart form) {
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(
                                okJson("{\"text\":\"The worker's answer.\"}").withFixedDelay(6000)));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        return CompletableFuture.supplyAsync(() -> client.transcribe(form), CALLERS);
    }

    /** The job a request sent at {@code sent} made, once a worker runs it. */
    private static TranscriptionJob runningSince(Instant sent) {
        return await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> system.jobs().findAll().stream()
                                .filter(j -> j.state() == JobState.RUNNING
                                        && !j.createdAt().isBefore(sent))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }
}
