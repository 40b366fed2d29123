package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationPredicate;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import tools.jackson.databind.json.JsonMapper;

/**
 * One trace from the caller to the upstream and back: a request sent with its own {@code traceparent} reaches the
 * upstream (and a job's webhook receiver) with the same trace id, and the spans both services finish (the api's
 * request, the worker's run of the job and its upstream call, the api's release of the held request) all belong to
 * it. The spans are caught by an in-memory exporter added to both services' contexts.
 */
class TracingFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
    private static final AskedObservations ASKED = new AskedObservations();
    private static TestSystem.Isolated isolated;
    private static WebhookReceiver receiver;
    private ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        receiver = new WebhookReceiver();
        List<String> tracing = List.of(
                "--transcriber.network.allow-list=127.0.0.1",
                "--management.opentelemetry.tracing.export.schedule-delay=100ms");
        List<String> worker = new java.util.ArrayList<>(tracing);
        worker.add("--transcriber.webhooks.poll-interval=200ms");
        List<String> api = new java.util.ArrayList<>(tracing);
        // the held request is released by the JobFinished event (and its trace), not by the database poller
        api.add("--transcriber.api.completion-poll-interval=1h");
        ApplicationContextInitializer<ConfigurableApplicationContext> exporter = context -> {
            context.getBeanFactory().registerSingleton("inMemorySpans", SPANS);
            context.getBeanFactory().registerSingleton("askedObservations", ASKED);
        };
        isolated = TestSystem.isolated(worker, api, exporter);
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
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"traced\"}")));
        receiver.clear();
    }

    @Test
    void springSecurityMakesNoObservationOfARequestsFilters() {
        HttpResponse<String> models = client.send(client.request("/v1/models")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .build());

        assertThat(models.statusCode()).as(models.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> ASKED.names.contains("http.server.requests"));
        assertThat(ASKED.names).noneMatch(name -> name.startsWith("spring.security"));
    }

    @Test
    void aSyncRequestsTraceReachesTheUpstreamAndComesBackToTheHeldRequest() {
        String traceId = hex(16);
        Multipart form = new Multipart()
                .field("model", "gpt-4o-transcribe")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
        HttpResponse<String> answer = client.send(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", form.contentType())
                .header("traceparent", "00-" + traceId + "-" + hex(8) + "-01")
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                .build());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).path("text").asString()).isEqualTo("traced");
        List<LoggedRequest> calls = isolated.system()
                .upstream()
                .findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                        urlEqualTo("/v1/audio/transcriptions")));
        assertThat(calls).hasSize(1);
        assertThat(traceIdOf(calls.getFirst().getHeader("traceparent"))).isEqualTo(traceId);

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<SpanData> trace = spansOf(traceId);
            assertThat(trace).as("the api's request").anySatisfy(span -> {
                assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
                assertThat(span.getResource().getAttribute(SERVICE)).isEqualTo("api-service");
            });
            assertThat(trace).as("the api's hand-off of the job to the worker").anySatisfy(span -> {
                assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
                assertThat(span.getResource().getAttribute(SERVICE)).isEqualTo("worker-service");
            });
            assertThat(trace).as("the worker's run of the job").anySatisfy(span -> {
                assertThat(span.getName()).isEqualTo("job");
                assertThat(span.getResource().getAttribute(SERVICE)).isEqualTo("worker-service");
            });
            assertThat(trace).as("the upstream call").anySatisfy(span -> {
                assertThat(span.getName()).isEqualTo("upstream transcribe");
                assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
            });
            assertThat(trace).as("the api's release of the held request").anySatisfy(span -> {
                assertThat(span.getName()).isEqualTo("job completion");
                assertThat(span.getResource().getAttribute(SERVICE)).isEqualTo("api-service");
            });
        });
        SpanData request = spansOf(traceId).stream()
                .filter(span -> span.getKind() == SpanKind.SERVER
                        && "api-service".equals(span.getResource().getAttribute(SERVICE)))
                .findFirst()
                .orElseThrow();
        SpanData job = single(traceId, "job");
        assertThat(job.getParentSpanId())
                .as("the job runs in the request's trace")
                .isEqualTo(request.getSpanId());
        SpanData upstream = single(traceId, "upstream transcribe");
        SpanData completion = single(traceId, "job completion");
        assertThat(upstream.getParentSpanId()).as("the call is the job's").isEqualTo(job.getSpanId());
        assertThat(completion.getParentSpanId())
                .as("the release continues the job's end")
                .isEqualTo(job.getSpanId());
        assertThat(traceIdOf(calls.getFirst().getHeader("traceparent"))).isEqualTo(upstream.getTraceId());
        assertThat(calls.getFirst().getHeader("traceparent")).contains(upstream.getSpanId());
    }

    @Test
    void anAsyncJobsWebhookCarriesTheTraceOfTheRequestThatSubmittedIt() {
        String traceId = hex(16);
        Multipart form = new Multipart()
                .field("model", "gpt-4o-transcribe")
                .field("webhook_url", receiver.url())
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
        HttpResponse<String> accepted = client.send(client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", form.contentType())
                .header("traceparent", "00-" + traceId + "-" + hex(8) + "-01")
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                .build());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received().isEmpty());
        WebhookReceiver.Received hook = receiver.received().getFirst();
        assertThat(JSON.readTree(hook.body()).path("type").asString()).isEqualTo("transcription_job.succeeded");
        assertThat(traceIdOf(hook.headers().get("traceparent"))).isEqualTo(traceId);
        assertThat(traceIdOf(isolated.system()
                        .upstream()
                        .findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                                urlEqualTo("/v1/audio/transcriptions")))
                        .getFirst()
                        .getHeader("traceparent")))
                .isEqualTo(traceId);
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(spansOf(traceId))
                        .extracting(SpanData::getName)
                        .contains("job", "upstream transcribe", "webhook delivery"));
    }

    private static List<SpanData> spansOf(String traceId) {
        return SPANS.getFinishedSpanItems().stream()
                .filter(span -> span.getTraceId().equals(traceId))
                .toList();
    }

    private static SpanData single(String traceId, String name) {
        List<SpanData> named = spansOf(traceId).stream()
                .filter(span -> span.getName().equals(name))
                .toList();
        assertThat(named).as(name).hasSize(1);
        return named.getFirst();
    }

    /** The trace id of a W3C {@code traceparent} ({@code 00-<trace id>-<span id>-<flags>}). */
    private static String traceIdOf(String traceparent) {
        assertThat(traceparent).as("traceparent").matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]");
        return traceparent.split("-")[1];
    }

    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /**
     * The first predicate each observation about to be made is put to, so it hears of those a later one discards (such
     * as an observation turned off by name).
     */
    private static final class AskedObservations implements ObservationPredicate, Ordered {

        private final Set<String> names = ConcurrentHashMap.newKeySet();

        @Override
        public boolean test(String name, Observation.Context context) {
            names.add(name);
            return true;
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }
}
