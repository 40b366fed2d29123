package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.PrometheusScrape;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The metrics as Prometheus would scrape them from both services, after real work: sync, async and failing jobs, a
 * webhook, a job recovered from a dead worker. Each family is there with its tags and a value that fits what was
 * done; and every metric that the dashboard ({@code ops/grafana/transcriber.json}) and the alert rules
 * ({@code ops/prometheus/alerts.yml}) name is one the services really export, so neither can drift from the code.
 */
class MetricsFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MODEL = "gpt-4o-transcribe";
    private static final Duration UPSTREAM_DELAY = Duration.ofMillis(1500);
    private static final Path OPS = Path.of("..", "ops");

    private static TestSystem.Isolated isolated;
    private static WebhookReceiver receiver;
    private static ApiClient client;

    /** What was seen while the work ran (the gauges move back to 0 once it is done). */
    private static double mostQueuedAsync;

    private static double oldestQueuedAsync;
    private static double mostHeldRequests;

    @BeforeAll
    static void start() throws Exception {
        receiver = new WebhookReceiver();
        List<String> worker = new ArrayList<>(List.of(
                "--transcriber.network.allow-list=127.0.0.1",
                "--transcriber.webhooks.poll-interval=200ms",
                "--transcriber.metrics.refresh-interval=200ms",
                "--transcriber.upstream.call-timeout=30s",
                // one async job at a time, so a second one waits in the queue where the gauges can see it
                "--transcriber.worker.max-in-flight-async=1"));
        List<String> api = List.of(
                "--transcriber.network.allow-list=127.0.0.1",
                "--transcriber.metrics.refresh-interval=200ms",
                "--transcriber.api.bootstrap-webhook-secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        isolated = TestSystem.isolated(worker, api);
        client = new ApiClient(isolated.system().apiBaseUrl());
        work();
    }

    @AfterAll
    static void stop() {
        isolated.close();
        receiver.close();
    }

    /**
     * While the upstream takes 1.5 s a call: a sync request held open, two async jobs (one with a webhook) of which
     * one waits in the queue, a job whose worker "died" (recovered by the reaper). Then one job the upstream refuses.
     */
    private static void work() throws Exception {
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(okJson("{\"text\":\"counted\"}").withFixedDelay((int) UPSTREAM_DELAY.toMillis())));
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<HttpResponse<String>> sync =
                    CompletableFuture.supplyAsync(() -> client.transcribe(form(null)), callers);
            String hooked = submit(receiver.url());
            String plain = submit(null);
            TranscriptionJob abandoned = abandonedJob();

            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        PrometheusScrape worker = scrapeWorker();
                        PrometheusScrape api = scrapeApi();
                        mostQueuedAsync =
                                Math.max(mostQueuedAsync, value(worker, "transcriber_queue_depth", "lane", "async"));
                        if (value(worker, "transcriber_queue_depth", "lane", "async") >= 1) {
                            oldestQueuedAsync = Math.max(
                                    oldestQueuedAsync,
                                    value(worker, "transcriber_queue_oldest_age_seconds", "lane", "async"));
                        }
                        mostHeldRequests = Math.max(mostHeldRequests, value(api, "transcriber_requests_held"));
                        return mostQueuedAsync >= 1 && oldestQueuedAsync > 0 && mostHeldRequests >= 1;
                    });

            assertThat(sync.get().statusCode()).as(sync.get().body()).isEqualTo(200);
            for (String id : List.of(hooked, plain)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(status(id)));
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> isolated.system()
                            .jobs()
                            .findById(abandoned.id().value())
                            .orElseThrow()
                            .state()
                            .name()
                            .equals("SUCCEEDED"));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> !receiver.received().isEmpty());
        }

        isolated.system().upstream().resetAll();
        isolated.system()
                .upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .willReturn(aResponse().withStatus(404).withBody("{\"error\":{\"message\":\"no such\"}}")));
        String refused = submit(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(status(refused)));
    }

    @Test
    void bothServicesExportWhatTheWorkDidWithLowCardinalityTags() throws Exception {
        PrometheusScrape worker = awaitWorkerFigures();
        PrometheusScrape api = scrapeApi();
        // kept for a look at what Prometheus would get
        Files.writeString(Path.of("target", "metrics-flow-worker.prom"), worker.text());
        Files.writeString(Path.of("target", "metrics-flow-api.prom"), api.text());

        // jobs by outcome, failure code, lane and model: 2 async succeeded, 2 interactive (the sync request and the
        // recovered job), 1 async failed on the upstream's 404
        assertThat(worker.sum(
                        "transcriber_jobs_finished_total",
                        "outcome",
                        "succeeded",
                        "failure_code",
                        "none",
                        "lane",
                        "async",
                        "model",
                        MODEL))
                .isEqualTo(2);
        assertThat(worker.sum(
                        "transcriber_jobs_finished_total",
                        "outcome",
                        "succeeded",
                        "failure_code",
                        "none",
                        "lane",
                        "interactive",
                        "model",
                        MODEL))
                .isEqualTo(2);
        assertThat(worker.sum(
                        "transcriber_jobs_finished_total",
                        "outcome",
                        "failed",
                        "failure_code",
                        "upstream_error",
                        "lane",
                        "async",
                        "model",
                        MODEL))
                .isEqualTo(1);
        assertThat(worker.find("transcriber_jobs_finished_total"))
                .allSatisfy(s -> assertThat(s.labels().keySet())
                        .containsExactlyInAnyOrder("application", "outcome", "failure_code", "lane", "model"));

        // half a second of audio per job that succeeded, by lane and model
        assertThat(worker.sum("transcriber_audio_processed_seconds_total", "lane", "async", "model", MODEL))
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.05));
        assertThat(worker.sum("transcriber_audio_processed_seconds_total", "lane", "interactive", "model", MODEL))
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.05));

        // upstream calls: a histogram per account and outcome, aggregatable across workers
        List<PrometheusScrape.Sample> successes =
                worker.find("transcriber_upstream_calls_seconds_count", "outcome", "success");
        assertThat(successes.stream()
                        .mapToDouble(PrometheusScrape.Sample::value)
                        .sum())
                .isEqualTo(4);
        assertThat(successes).extracting(s -> s.labels().get("account")).isSubsetOf("openai-1", "openai-2");
        for (PrometheusScrape.Sample count : successes) {
            String account = count.labels().get("account");
            List<PrometheusScrape.Sample> buckets =
                    worker.find("transcriber_upstream_calls_seconds_bucket", "account", account, "outcome", "success");
            assertThat(buckets).as("buckets of " + account).hasSizeGreaterThan(5);
            assertThat(worker.sum(
                            "transcriber_upstream_calls_seconds_bucket",
                            "account",
                            account,
                            "outcome",
                            "success",
                            "le",
                            "+Inf"))
                    .isEqualTo(count.value());
            // every successful call took the fake upstream's 1.5 s: none falls in a bucket under 1.4 s
            assertThat(buckets.stream()
                            .filter(b -> !b.labels().get("le").equals("+Inf"))
                            .filter(b -> Double.parseDouble(b.labels().get("le")) < 1.4)
                            .mapToDouble(PrometheusScrape.Sample::value)
                            .max()
                            .orElse(0))
                    .isZero();
            assertThat(worker.sum("transcriber_upstream_calls_seconds_sum", "account", account, "outcome", "success"))
                    .isGreaterThanOrEqualTo(count.value() * 1.5);
        }
        assertThat(worker.sum("transcriber_upstream_calls_seconds_count", "outcome", "rejected"))
                .isEqualTo(1);
        assertThat(worker.names())
                .doesNotContain("transcriber_upstream_latency_p50", "transcriber_upstream_latency_p95");
        assertThat(worker.find("transcriber_upstream_usable"))
                .hasSize(2)
                .allSatisfy(s -> assertThat(s.value()).isEqualTo(1));

        // the queue as it was while the work ran, and empty now
        assertThat(mostQueuedAsync).isBetween(1.0, 2.0);
        assertThat(oldestQueuedAsync).isGreaterThan(0).isLessThan(10);
        for (String lane : List.of("interactive", "async", "bulk")) {
            assertThat(value(worker, "transcriber_queue_depth", "lane", lane))
                    .as(lane)
                    .isZero();
            assertThat(value(worker, "transcriber_queue_held", "lane", lane))
                    .as(lane)
                    .isZero();
            assertThat(value(worker, "transcriber_queue_oldest_age_seconds", "lane", lane))
                    .as(lane)
                    .isZero();
        }
        assertThat(value(worker, "transcriber_outbox_backlog")).isZero();
        assertThat(value(worker, "transcriber_outbox_oldest_age_seconds")).isZero();
        assertThat(value(worker, "transcriber_notifications_queue_usage"))
                .as("no listener lags: at most a page of notifications in flight")
                .isLessThan(0.001);

        // the webhook, and the job recovered by the reaper
        assertThat(value(worker, "transcriber_webhooks_attempts_total", "outcome", "delivered"))
                .isEqualTo(1);
        assertThat(worker.find("transcriber_webhooks_attempts_total"))
                .extracting(s -> s.labels().get("outcome"))
                .containsExactlyInAnyOrder("delivered", "retrying", "exhausted", "disabled");
        assertThat(value(worker, "transcriber_jobs_recovered_total", "action", "requeued"))
                .isEqualTo(1);
        assertThat(value(worker, "transcriber_jobs_recovered_total", "action", "failed"))
                .isZero();

        // the api: requests held while the upstream worked (none now), and both services ready
        assertThat(mostHeldRequests).isEqualTo(1);
        assertThat(value(api, "transcriber_requests_held")).isZero();
        assertThat(value(api, "transcriber_ready", "application", "api-service"))
                .isEqualTo(1);
        assertThat(value(worker, "transcriber_ready", "application", "worker-service"))
                .isEqualTo(1);
        assertThat(api.find("transcriber_stage_seconds_count", "stage", "api.store_audio"))
                .isNotEmpty();
    }

    /**
     * Log events are counted as they are written, not by a turbo filter (which Logback runs on every level check of
     * every logger, the disabled ones included): the services' shared logging context has none, and a warning logged
     * counts once on each service's {@code logback_events_total{level="warn"}}.
     */
    @Test
    void logEventsAreCountedAsTheyAreWrittenWithoutATurboFilter() {
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertThat(logging.getTurboFilterList()).isEmpty();
        double apiBefore = value(scrapeApi(), "logback_events_total", "level", "warn");
        double workerBefore = value(scrapeWorker(), "logback_events_total", "level", "warn");

        LoggerFactory.getLogger(MetricsFlowTest.class).warn("a warning the metrics count");
        LoggerFactory.getLogger(MetricsFlowTest.class).debug("a debug line below the effective level");

        assertThat(value(scrapeApi(), "logback_events_total", "level", "warn")).isGreaterThanOrEqualTo(apiBefore + 1);
        assertThat(value(scrapeWorker(), "logback_events_total", "level", "warn"))
                .isGreaterThanOrEqualTo(workerBefore + 1);
        assertThat(scrapeApi().find("logback_events_total", "level", "error")).hasSize(1);
    }

    @Test
    void theScrapeEndpointTakesTheAdminTokenLikeEveryActuatorEndpointBeyondHealth() {
        for (String base :
                List.of(isolated.system().apiBaseUrl(), isolated.system().workerBaseUrl())) {
            assertThat(PrometheusScrape.get(base, null).statusCode()).as(base).isEqualTo(401);
            assertThat(PrometheusScrape.get(base, TestSystem.API_KEY).statusCode())
                    .as(base)
                    .isIn(401, 403);
            HttpResponse<String> scraped = PrometheusScrape.get(base, TestSystem.ADMIN_TOKEN);
            assertThat(scraped.statusCode()).as(base).isEqualTo(200);
            assertThat(scraped.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        }
    }

    @Test
    void everyMetricTheDashboardAndTheAlertRulesNameIsExported() throws Exception {
        // the extraction itself: functions, label matchers, ranges, groupings, keywords and numbers are not names
        assertThat(metricNames(List.of("histogram_quantile(0.9, sum by (le, account) (rate(a_bucket{outcome=\"x\"}"
                        + "[5m]))) > 0.5 and on(job) b_total offset 5m or vector(0) * max(c{lane=~\"a|b\"})")))
                .containsExactlyInAnyOrder("a_bucket", "b_total", "c");

        Set<String> exported = new TreeSet<>(awaitWorkerFigures().names());
        exported.addAll(scrapeApi().names());

        Map<String, Set<String>> named = new java.util.LinkedHashMap<>();
        named.put("alerts.yml", metricNames(alertExpressions()));
        named.put("transcriber.json", metricNames(dashboardExpressions()));

        named.forEach((file, names) -> {
            assertThat(names).as(file + " names metrics").isNotEmpty();
            Set<String> missing = new TreeSet<>(names);
            missing.removeAll(exported);
            missing.remove("up"); // Prometheus' own: 0 when an instance cannot be scraped at all
            assertThat(missing).as(file + ": metrics no service exports").isEmpty();
        });
        assertThat(named.get("alerts.yml"))
                .contains(
                        "transcriber_jobs_finished_total",
                        "transcriber_queue_oldest_age_seconds",
                        "transcriber_outbox_oldest_age_seconds",
                        "transcriber_notifications_queue_usage",
                        "transcriber_upstream_usable",
                        "transcriber_ready");
        assertThat(named.get("transcriber.json"))
                .contains(
                        "transcriber_jobs_finished_total",
                        "transcriber_queue_depth",
                        "transcriber_queue_oldest_age_seconds",
                        "transcriber_requests_held",
                        "transcriber_outbox_backlog",
                        "transcriber_webhooks_attempts_total",
                        "transcriber_upstream_calls_seconds_bucket",
                        "transcriber_upstream_calls_seconds_count",
                        "transcriber_audio_processed_seconds_total");
    }

    /**
     * The example Prometheus configuration scrapes what the services serve, the way they let it: the scrape path,
     * the metrics token (which opens the scrape and nothing else) as a bearer credential from a file, job names the
     * instance alert matches, the rules loaded.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theExamplePrometheusConfigurationScrapesBothServicesWithTheMetricsToken() throws Exception {
        Map<String, Object> config =
                new org.yaml.snakeyaml.Yaml().load(Files.readString(OPS.resolve("prometheus/prometheus.yml")));
        assertThat((List<String>) config.get("rule_files")).containsExactly("alerts.yml");
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) config.get("scrape_configs");
        assertThat(jobs)
                .extracting(job -> job.get("job_name"))
                .containsExactlyInAnyOrder("transcriber-api", "transcriber-worker");
        for (Map<String, Object> job : jobs) {
            assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
            Map<String, Object> authorization = (Map<String, Object>) job.get("authorization");
            assertThat(authorization).containsEntry("type", "Bearer").containsKey("credentials_file");
            assertThat((String) authorization.get("credentials_file")).contains("metrics-token");
            assertThat(authorization).doesNotContainKey("credentials");
        }
    }

    /** Each rule's {@code expr}; six alerts, each with a severity and a summary. */
    @SuppressWarnings("unchecked")
    private static List<String> alertExpressions() throws Exception {
        Map<String, Object> file =
                new org.yaml.snakeyaml.Yaml().load(Files.readString(OPS.resolve("prometheus/alerts.yml")));
        List<String> expressions = new ArrayList<>();
        int alerts = 0;
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                expressions.add((String) rule.get("expr"));
                if (rule.containsKey("alert")) {
                    alerts++;
                    assertThat((Map<String, Object>) rule.get("labels")).containsKey("severity");
                    assertThat((Map<String, Object>) rule.get("annotations")).containsKey("summary");
                }
            }
        }
        assertThat(alerts).isEqualTo(6);
        return expressions;
    }

    /** Every panel's query expressions (rows' nested panels too). */
    private static List<String> dashboardExpressions() throws Exception {
        JsonNode dashboard = JSON.readTree(Files.readString(OPS.resolve("grafana/transcriber.json")));
        List<String> expressions = new ArrayList<>();
        for (JsonNode expr : dashboard.findValues("expr")) {
            expressions.add(expr.asString());
        }
        assertThat(dashboard.path("panels").size()).isGreaterThanOrEqualTo(8);
        return expressions;
    }

    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPINGS =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("\\b[a-zA-Z_:][a-zA-Z0-9_:]*\\b(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without");

    /**
     * The metric names in PromQL expressions: what is left once strings, label matchers, ranges and grouping lists
     * are taken out, less function calls and operators.
     */
    static Set<String> metricNames(List<String> expressions) {
        Set<String> names = new TreeSet<>();
        for (String expression : expressions) {
            String bare = STRINGS.matcher(expression).replaceAll(" ");
            bare = MATCHERS.matcher(bare).replaceAll(" ");
            bare = RANGES.matcher(bare).replaceAll(" ");
            bare = GROUPINGS.matcher(bare).replaceAll(" ");
            Matcher identifier = IDENTIFIER.matcher(bare);
            while (identifier.find()) {
                if (!KEYWORDS.contains(identifier.group())) {
                    names.add(identifier.group());
                }
            }
        }
        return names;
    }

    /** The worker's scrape once its periodic figures have been read after the work ended. */
    private static PrometheusScrape awaitWorkerFigures() {
        return await().atMost(Duration.ofSeconds(10))
                .until(
                        MetricsFlowTest::scrapeWorker,
                        scrape -> value(scrape, "transcriber_queue_depth", "lane", "async") == 0
                                && value(scrape, "transcriber_outbox_backlog") == 0);
    }

    private static PrometheusScrape scrapeWorker() {
        return PrometheusScrape.of(isolated.system().workerBaseUrl(), TestSystem.ADMIN_TOKEN);
    }

    private static PrometheusScrape scrapeApi() {
        return PrometheusScrape.of(isolated.system().apiBaseUrl(), TestSystem.ADMIN_TOKEN);
    }

    /** The one sample of {@code name} with {@code labels}. */
    private static double value(PrometheusScrape scrape, String name, String... labels) {
        List<PrometheusScrape.Sample> found = scrape.find(name, labels);
        assertThat(found).as(name + " " + List.of(labels)).hasSize(1);
        return found.getFirst().value();
    }

    /** A queued interactive job whose worker claimed it and died: its lease ran out a while ago. */
    private static TranscriptionJob abandonedJob() {
        TranscriptionJob job = isolated.system().queuedJobWithStoredAudio(JobId.random());
        Instant now = Instant.now();
        job.claim("a-worker-that-died", now.minusSeconds(5), now.minusSeconds(10));
        return isolated.system().jobs().save(job);
    }

    private static Multipart form(String webhookUrl) {
        Multipart form =
                new Multipart().field("model", MODEL).file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
        return webhookUrl == null ? form : form.field("webhook_url", webhookUrl);
    }

    private static String submit(String webhookUrl) {
        HttpResponse<String> accepted = client.submitJob(form(webhookUrl), TestSystem.API_KEY, null);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        return JSON.readTree(accepted.body()).path("id").asString();
    }

    private static String status(String id) {
        return JSON.readTree(client.get("/v1/transcription_jobs/" + id).body())
                .path("status")
                .asString();
    }
}
