package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobState;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Accepted work survives a Kafka outage: the job waits in PostgreSQL (its message in the api's producer, or sent again
 * by the workers' queue sweeper) and completes once the broker is back. A sync call handed to a worker directly needs
 * no broker at all.
 */
class BrokerOutageTest {

    private static TestSystem.Isolated isolated;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated();
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @Test
    void requestAcceptedWhileTheBrokerIsDownIsAnsweredOnceItIsBack() throws Exception {
        TestSystem system = isolated.system();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"Survived.\"}")));
        // an api that hands nothing to a worker directly: its job reaches one through Kafka only
        ConfigurableApplicationContext api = system.startAnotherApi(List.of("--transcriber.api.hand-off.worker="));
        try {
            ApiClient client =
                    new ApiClient("http://127.0.0.1:" + api.getEnvironment().getProperty("local.server.port"));

            isolated.infra().stopKafka();
            CompletableFuture<HttpResponse<String>> response =
                    CompletableFuture.supplyAsync(() -> client.transcribe(new Multipart()
                            .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                            .field("model", "gpt-4o-transcribe")));
            // The api accepted the job: it is in PostgreSQL, waiting for the broker.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> system.jobs().findAll().stream().anyMatch(j -> j.state() == JobState.QUEUED));
            assertThat(response).isNotDone();

            isolated.infra().startKafka();

            HttpResponse<String> answer = response.get(90, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("Survived.");
            JobId jobId = JobId.parse(
                    answer.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
            assertThat(system.jobs().findById(jobId.value()).orElseThrow().state())
                    .isEqualTo(JobState.SUCCEEDED);
        } finally {
            api.close();
        }
    }

    @Test
    void aSyncCallHandedToAWorkerIsAnsweredWhileTheBrokerIsDown() throws Exception {
        TestSystem system = isolated.system();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"No broker.\"}")));
        ApiClient client = new ApiClient(system.apiBaseUrl());

        isolated.infra().stopKafka();
        try {
            HttpResponse<String> answer = client.transcribe(new Multipart()
                    .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                    .field("model", "gpt-4o-transcribe"));

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("No broker.");
        } finally {
            isolated.infra().startKafka();
        }
    }
}
