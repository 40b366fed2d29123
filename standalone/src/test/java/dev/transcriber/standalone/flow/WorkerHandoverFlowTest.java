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
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job moves between workers without being lost, stuck or done twice. Leases last 5 minutes and are never renewed
 * here, so only what these tests exercise can move a job sooner: the lease taken away by the test (as if the worker
 * had paused), or the worker handing its jobs back as it stops.
 */
class WorkerHandoverFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";
    private static final Duration LEASE = Duration.ofMinutes(5);

    private static TestSystem.Isolated isolated;
    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(
                List.of(
                        "--transcriber.worker.lease=" + LEASE.toSeconds() + "s",
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
    void theResultOfAWorkerWhoseLeaseRanOutDoesNotOverwriteTheNextClaims() {
        // The first call outlasts the lease and answers while the job's second claim is still waiting for its own.
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("lease lost")
                .whenScenarioStateIs(STARTED)
                .willSetStateTo("claimed again")
                .willReturn(okJson("{\"text\":\"Stale words.\"}").withFixedDelay(8_000)));
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("lease lost")
                .whenScenarioStateIs("claimed again")
                .willReturn(okJson("{\"text\":\"Fresh words.\"}").withFixedDelay(12_000)));

        JobId id = submit();
        awaitUpstreamCalls(1);
        // The worker's lease runs out mid-call (a pause, a partition): the reaper recovers the job, it is claimed
        // again.
        JdbcClient.create(system.api().getBean(DataSource.class))
                .sql("update transcription_jobs set lease_until = now() - interval '1 second' where id = :id")
                .param("id", id.value())
                .update();
        awaitUpstreamCalls(2);

        await().atMost(Duration.ofSeconds(60)).until(() -> job(id).state().isTerminal());
        TranscriptionJob job = job(id);
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.transcriptJson()).contains("Fresh words.").doesNotContain("Stale words.");
        assertThat(job.attempts()).isEqualTo(2);
    }

    @Test
    void aStoppingWorkerHandsItsJobBackAndTheJobRunsAgainLongBeforeItsLeaseWouldRunOut() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("worker stops")
                .whenScenarioStateIs(STARTED)
                .willSetStateTo("handed back")
                .willReturn(okJson("{\"text\":\"Never answered in time.\"}").withFixedDelay(45_000)));
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .inScenario("worker stops")
                .whenScenarioStateIs("handed back")
                .willReturn(okJson("{\"text\":\"Handed over.\"}")));

        JobId id = submit();
        awaitUpstreamCalls(1);
        long stopping = System.nanoTime();
        system.restartWorker();

        await().atMost(Duration.ofSeconds(40)).until(() -> job(id).state().isTerminal());
        Duration took = Duration.ofNanos(System.nanoTime() - stopping);
        TranscriptionJob job = job(id);
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.transcriptJson()).contains("Handed over.");
        assertThat(job.attempts()).as("a start handed back does not count").isEqualTo(1);
        assertThat(took).isLessThan(LEASE.dividedBy(4));
    }

    private JobId submit() {
        String body = client.submitJob(
                        new Multipart()
                                .field("model", "gpt-4o-transcribe")
                                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5)),
                        TestSystem.API_KEY,
                        null)
                .body();
        return JobId.parse(JSON.readTree(body).path("id").asString());
    }

    private void awaitUpstreamCalls(int calls) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)))
                                .size()
                        >= calls);
    }

    private TranscriptionJob job(JobId id) {
        return system.jobs().findById(id.value()).orElseThrow();
    }
}
