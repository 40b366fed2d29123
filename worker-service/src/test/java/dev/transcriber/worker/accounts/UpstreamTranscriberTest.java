package dev.transcriber.worker.accounts;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.worker.support.TrickleServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The upstream client and its retry policy against a real HTTP server on 127.0.0.1. */
class UpstreamTranscriberTest {

    private static final String PATH = "/v1/audio/transcriptions";
    private static final byte[] AUDIO = "RIFF....WAVEfmt fake audio bytes".getBytes(StandardCharsets.US_ASCII);
    private static WireMockServer upstream;

    private final OpenAiCompatibleClient client = new OpenAiCompatibleClient(
            JsonMapper.builder().build(), Duration.ofMillis(500), Clock.systemUTC(), Traces.none());
    private final UpstreamRetryPolicy policy =
            new UpstreamRetryPolicy(new RetryProperties(3, Duration.ofMillis(5), 2.0, 0.5, Duration.ofMillis(20)));

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
        upstream.start();
    }

    @AfterAll
    static void stop() {
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    @Test
    void sendsTheAudioAndFieldsAsMultipartWithAKnownLength() {
        upstream.stubFor(post(urlEqualTo(PATH))
                .willReturn(okJson("{\"text\":\"hi\",\"usage\":{\"type\":\"duration\",\"seconds\":4.2}}")));

        UpstreamTranscriber.Result result = transcriber(1).transcribe(call());

        assertThat(result.transcript().text()).isEqualTo("hi");
        assertThat(result.transcript().usage().seconds()).isEqualTo(4.2);
        assertThat(result.accountId()).isEqualTo("openai-1");
        var request = upstream.findAll(postRequestedFor(urlEqualTo(PATH))).getFirst();
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer key-1");
        assertThat(request.getHeader("Content-Length")).isEqualTo(String.valueOf(request.getBody().length));
        assertThat(request.getPart("file").getBody().asBytes()).isEqualTo(AUDIO);
        assertThat(request.getPart("model").getBody().asString()).isEqualTo("whisper-1");
        assertThat(request.getPart("language").getBody().asString()).isEqualTo("en");
        assertThat(request.getPart("response_format").getBody().asString()).isEqualTo("json");
    }

    @Test
    void retriesServerErrorsOnTheNextAccount() {
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-1"))
                .willReturn(aResponse().withStatus(503)));
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-2"))
                .willReturn(okJson("{\"text\":\"from two\"}")));

        UpstreamTranscriber.Result result = transcriber(2).transcribe(call());

        assertThat(result.accountId()).isEqualTo("openai-2");
        upstream.verify(2, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void givesUpAfterTheBudgetOnTimeoutsAndGarbage() {
        upstream.stubFor(
                post(urlEqualTo(PATH)).willReturn(okJson("{\"text\":\"late\"}").withFixedDelay(2000)));

        assertThatThrownBy(() -> transcriber(1).transcribe(call())).isInstanceOf(UpstreamException.Retryable.class);
        upstream.verify(3, postRequestedFor(urlEqualTo(PATH)));

        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(okJson("<html>not json</html>")));
        assertThatThrownBy(() -> transcriber(1).transcribe(call())).isInstanceOf(UpstreamException.Retryable.class);

        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        assertThatThrownBy(() -> transcriber(1).transcribe(call())).isInstanceOf(UpstreamException.Retryable.class);
        upstream.verify(3, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void clientErrorsAreNotRetried() {
        upstream.stubFor(post(urlEqualTo(PATH))
                .willReturn(aResponse()
                        .withStatus(400)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Audio file might be corrupted.\"}}")));

        assertThatThrownBy(() -> transcriber(2).transcribe(call()))
                .isInstanceOfSatisfying(UpstreamException.Rejected.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("Audio file might be corrupted.");
                });
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void aRejectionsMessageForTheCallerNamesNoAddressOfTheUpstreamAndNoPageOfAProxy() {
        // the message becomes the failed job's, which its caller reads: a self-hosted upstream's error may name its
        // own address, and a proxy in front of it answers with a page of its own
        upstream.stubFor(post(urlEqualTo(PATH))
                .willReturn(aResponse()
                        .withStatus(400)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"BadRequestError: invalid audio, api_base="
                                + "http://10.0.0.5:8000/v1 (see https://internal.example/docs)\"}}")));
        assertThatThrownBy(() -> transcriber(1).transcribe(call()))
                .isInstanceOfSatisfying(
                        UpstreamException.Rejected.class,
                        e -> assertThat(e.getMessage())
                                .isEqualTo("BadRequestError: invalid audio, api_base=<url> (see <url>)"));

        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(PATH))
                .willReturn(aResponse()
                        .withStatus(413)
                        .withHeader("Content-Type", "text/html")
                        .withBody("<html><body>nginx/1.25.3 at gateway-7.internal</body></html>")));
        assertThatThrownBy(() -> transcriber(1).transcribe(call()))
                .isInstanceOfSatisfying(
                        UpstreamException.Rejected.class,
                        e -> assertThat(e.getMessage()).isEqualTo("HTTP 413, with no error message in its body"));
    }

    @Test
    void aRejectionsMessageNamesNoAddressOrHostNameOfTheUpstreamEvenOutsideAUrl() {
        // a self-hosted upstream (or the proxy in front of it) may name addresses without a scheme: the upstream's own
        // host name (here "localhost", whatever its case), an address with its port, a name with its port
        upstream.stubFor(post(urlEqualTo(PATH))
                .willReturn(aResponse()
                        .withStatus(400)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"upstream localhost refused the file; backends"
                                + " gpu-3.internal.example:9000, 10.0.0.5:8000, 10.0.0.6 and [fd00::5]:8080 saw it"
                                + " (LocalHost). Audio file might be corrupted.\"}}")));

        assertThatThrownBy(() -> transcriber(1).transcribe(call()))
                .isInstanceOfSatisfying(
                        UpstreamException.Rejected.class,
                        e -> assertThat(e.getMessage())
                                .isEqualTo("upstream <host> refused the file; backends <address>, <address>,"
                                        + " <address> and <address> saw it (<host>). Audio file might be corrupted."));
    }

    @Test
    void aRejectionsOrdinaryWordsAreLeftAsTheUpstreamWroteThem() {
        for (String message : List.of(
                "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg',"
                        + " 'wav', 'webm']",
                "Invalid value for 'timestamp_granularities[0]': expected one of word, segment.",
                "Audio file is too short. Minimum audio length is 0.1 seconds.",
                "model gpt-4o-transcribe does not support response_format srt (ratio 16:9, v2.1)")) {
            assertThat(OpenAiCompatibleClient.scrubbed(message, "api.openai.com"))
                    .isEqualTo(message);
        }
        assertThat(OpenAiCompatibleClient.scrubbed("api.openai.com.evil and my-api.openai.com", "api.openai.com"))
                .as("another host that contains the upstream's name is not it")
                .isEqualTo("api.openai.com.evil and my-api.openai.com");
        assertThat(OpenAiCompatibleClient.scrubbed(
                        "Audio file might be corrupted; audio:8000 and vllm-0 said so at [0:10].", "audio"))
                .as("an upstream named by a plain word is scrubbed where its port follows it, not in the sentence")
                .isEqualTo("Audio file might be corrupted; <address> and vllm-0 said so at [0:10].");
        assertThat(OpenAiCompatibleClient.scrubbed("vllm-0 refused; see vllm-0.", "vllm-0"))
                .isEqualTo("<host> refused; see <host>.");
    }

    @Test
    void anAnswerTooLargeToReadIsNotAskedForAgain() {
        // a 200 the client cannot read whole: the call is paid for, and a retry would pay for it again
        upstream.stubFor(
                post(urlEqualTo(PATH)).willReturn(okJson("{\"text\":\"" + "a".repeat(33 * 1024 * 1024) + "\"}")));

        // a call timeout that 33 MB on a loaded machine cannot run into: a timed-out call is tried again
        OpenAiCompatibleClient patient = new OpenAiCompatibleClient(
                JsonMapper.builder().build(), Duration.ofSeconds(30), Clock.systemUTC(), Traces.none());
        UpstreamTranscriber transcriber =
                new UpstreamTranscriber(pool(2), List.of(patient), policy, Duration.ofMinutes(1));

        assertThatThrownBy(() -> transcriber.transcribe(call()))
                .isInstanceOfSatisfying(
                        UpstreamException.Rejected.class,
                        e -> assertThat(e.getMessage()).contains("larger than"));
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void noAccountMeansNoCall() {
        assertThatThrownBy(() -> transcriber(0).transcribe(call())).isInstanceOf(NoAccountsException.class);
        upstream.verify(0, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void rateLimitedAccountCoolsDownAndTheCallSucceedsOnAnotherAtOnce() {
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-1"))
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "30")));
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-2"))
                .willReturn(okJson("{\"text\":\"from two\"}")));
        AccountPool pool = pool(2);
        UpstreamTranscriber transcriber = new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1));

        long started = System.nanoTime();
        UpstreamTranscriber.Result first = transcriber.transcribe(call());
        UpstreamTranscriber.Result second = transcriber.transcribe(call());

        assertThat(first.accountId()).isEqualTo("openai-2");
        assertThat(second.accountId()).isEqualTo("openai-2");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer key-1")));
        assertThat(pool.status().getFirst().state()).isEqualTo("cooling");
        assertThat(pool.status().getFirst().coolingUntil())
                .isAfter(java.time.Instant.now().plusSeconds(25));
    }

    @Test
    void everyAccountRateLimitedGivesTheEarliestReset() {
        bothAccountsRateLimited("retry-after-ms", "20000", "x-ratelimit-reset-requests", "1m0s");
        AccountPool pool = pool(2);
        java.time.Instant before = java.time.Instant.now();

        assertThatThrownBy(() -> new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1))
                        .transcribe(call()))
                .isInstanceOfSatisfying(
                        AllAccountsCoolingException.class,
                        e -> assertThat(e.resetsAt()).isBetween(before.plusSeconds(19), before.plusSeconds(25)));
        upstream.verify(2, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void aRetryAfterCenturiesAwayCoolsTheAccountForADayAtMost() {
        // a far-future Retry-After overflowed the pool's wait arithmetic for an async call (ArithmeticException),
        // which no retry policy handled: the job went back to its lease again and again
        bothAccountsRateLimited("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT", "retry-after-ms", "1e13");
        AccountPool pool = pool(2);
        java.time.Instant before = java.time.Instant.now();

        assertThatThrownBy(() -> new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1))
                        .transcribe(call(Lane.ASYNC)))
                .isInstanceOfSatisfying(
                        AllAccountsCoolingException.class,
                        e -> assertThat(e.resetsAt())
                                .isBetween(before.plus(Duration.ofHours(23)), before.plus(Duration.ofHours(25))));
        assertThat(pool.status())
                .allSatisfy(account -> assertThat(account.coolingUntil()).isBefore(before.plus(Duration.ofHours(25))));
        upstream.verify(2, postRequestedFor(urlEqualTo(PATH)));
    }

    /** Account 1 answers 429 with {@code header1}, account 2 with {@code header2}. */
    private void bothAccountsRateLimited(String header1, String value1, String header2, String value2) {
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-1"))
                .willReturn(aResponse().withStatus(429).withHeader(header1, value1)));
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-2"))
                .willReturn(aResponse().withStatus(429).withHeader(header2, value2)));
    }

    @Test
    void anAccountAtItsOwnRequestsPerMinuteMakesTheNextCallWaitNotFail() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(okJson("{\"text\":\"paced\"}")));
        AccountPoolTest.MovableClock moving = new AccountPoolTest.MovableClock(java.time.Instant.now());
        UpstreamAccount paced = new UpstreamAccount(
                "paced",
                AccountsProperties.ProviderKind.OPENAI,
                upstream.baseUrl() + "/v1",
                "key-1",
                java.util.Map.of(),
                1,
                8,
                2,
                null);
        AccountPool pool = new AccountPool(List.of(paced), moving, Duration.ofMinutes(10));
        // a call timeout that a loaded machine's first calls cannot run into: a timed-out call would spend the window
        OpenAiCompatibleClient patient = new OpenAiCompatibleClient(
                JsonMapper.builder().build(), Duration.ofSeconds(10), Clock.systemUTC(), Traces.none());
        UpstreamTranscriber transcriber =
                new UpstreamTranscriber(pool, List.of(patient), policy, Duration.ofMinutes(2));

        try (var callers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<UpstreamTranscriber.Result>> calls = java.util.stream.IntStream.range(0, 3)
                    .mapToObj(i -> callers.submit(() -> transcriber.transcribe(call())))
                    .toList();
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> pool.waiting(Lane.INTERACTIVE) == 1
                                    && calls.stream()
                                                    .filter(java.util.concurrent.Future::isDone)
                                                    .count()
                                            == 2
                            || calls.stream().anyMatch(f -> f.state() == java.util.concurrent.Future.State.FAILED));
            assertThat(calls).as("none failed").noneMatch(f -> f.state() == java.util.concurrent.Future.State.FAILED);
            upstream.verify(2, postRequestedFor(urlEqualTo(PATH)));

            moving.advance(Duration.ofSeconds(61));

            for (var call : calls) {
                assertThat(call.get(10, java.util.concurrent.TimeUnit.SECONDS)
                                .transcript()
                                .text())
                        .isEqualTo("paced");
            }
        }
        upstream.verify(3, postRequestedFor(urlEqualTo(PATH)));
        assertThat(pool.status().getFirst().failures()).isEmpty();
    }

    @Test
    void refusedKeyDisablesTheAccountForGood() {
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-1"))
                .willReturn(aResponse()
                        .withStatus(401)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Incorrect API key provided\"}}")));
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-2"))
                .willReturn(okJson("{\"text\":\"from two\"}")));
        AccountPool pool = pool(2);
        UpstreamTranscriber transcriber = new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1));

        for (int i = 0; i < 4; i++) {
            assertThat(transcriber.transcribe(call()).accountId()).isEqualTo("openai-2");
        }

        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer key-1")));
        assertThat(pool.status().getFirst().state()).isEqualTo("disabled");
        assertThat(pool.status().getFirst().disabledReason()).contains("401", "Incorrect API key provided");
    }

    @Test
    void aForbiddenCallFailsOverAndDisablesNoAccount() {
        // OpenAI answers 403 when a project may not use the model asked for (or from the caller's region): a refusal
        // of this call, not of the key, so a caller asking for such a model must not disable the fleet's accounts
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(forbidden()));
        AccountPool pool = pool(2);
        UpstreamTranscriber transcriber = new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1));

        assertThatThrownBy(() -> transcriber.transcribe(call()))
                .isInstanceOfSatisfying(
                        UpstreamException.Rejected.class,
                        e -> assertThat(e.status()).isEqualTo(403));

        for (String key : List.of("key-1", "key-2")) {
            upstream.verify(
                    1, postRequestedFor(urlEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer " + key)));
        }
        assertThat(pool.status())
                .allSatisfy(account -> assertThat(account.state()).isNotEqualTo("disabled"));
        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(okJson("{\"text\":\"allowed\"}")));
        assertThat(transcriber.transcribe(call()).transcript().text()).isEqualTo("allowed");
    }

    @Test
    void aCallForbiddenByTheOnlyAccountIsNotAskedOfItAgain() {
        // the only account's 403 is the call's answer: asking it again (three calls) would only be refused again
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(forbidden()));
        AccountPool pool = pool(1);
        UpstreamTranscriber transcriber = new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1));

        assertThatThrownBy(() -> transcriber.transcribe(call()))
                .isInstanceOfSatisfying(UpstreamException.Rejected.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.getMessage())
                            .as("a rejection's message may reach a caller: not the upstream's own words")
                            .isEqualTo("Every upstream account that serves the model refused this call (HTTP 403)");
                });
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
        assertThat(pool.status().getFirst().state()).isNotEqualTo("disabled");
    }

    @Test
    void aForbiddenCallWhoseOtherAccountIsBusyIsNotTakenForRefusedByAll() {
        // one account refuses the call, the other is at its concurrency limit: no account is left free, which is not
        // every account refusing it (that one was never asked)
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(forbidden()));
        AccountPool pool = pool(2, 1);
        UpstreamTranscriber transcriber = new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1));

        try (AccountPool.Lease busy = pool.acquire("whisper-1")) {
            assertThatThrownBy(() -> transcriber.transcribe(call()))
                    .isInstanceOf(NoAccountsException.class)
                    .isNotInstanceOf(NoAccountsException.EveryOneRefused.class);
            upstream.verify(
                    0,
                    postRequestedFor(urlEqualTo(PATH))
                            .withHeader(
                                    "Authorization",
                                    equalTo("Bearer " + busy.account().apiKey())));
        }
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void aForbiddenCallGoesToTheAccountThatMayMakeIt() {
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-1"))
                .willReturn(forbidden()));
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-2"))
                .willReturn(okJson("{\"text\":\"allowed here\"}")));
        UpstreamTranscriber transcriber =
                new UpstreamTranscriber(pool(2), List.of(client), policy, Duration.ofMinutes(1));

        for (int i = 0; i < 3; i++) {
            upstream.resetRequests();
            UpstreamTranscriber.Result result = transcriber.transcribe(call());
            assertThat(result.transcript().text()).isEqualTo("allowed here");
            assertThat(result.accountId()).isEqualTo("openai-2");
            assertThat(upstream.findAll(
                            postRequestedFor(urlEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer key-1"))))
                    .as("the forbidding account is asked at most once a call")
                    .hasSizeLessThanOrEqualTo(1);
        }
    }

    @Test
    void anUpstreamsErrorTextIsKeptFitForARow() {
        // an error.message with a NUL could not be written (the disabled account was enabled again by the next sync),
        // and one of megabytes went into every job view and every worker's sync
        String message = "bad\\u0000key " + "x".repeat(50_000);
        upstream.stubFor(post(urlEqualTo(PATH))
                .willReturn(aResponse()
                        .withStatus(401)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"" + message + "\"}}")));
        AccountPool pool = pool(1);

        assertThatThrownBy(
                () -> new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1)).transcribe(call()));

        String reason = pool.status().getFirst().disabledReason();
        assertThat(reason).contains("401", "badkey").doesNotContain("\0");
        assertThat(reason.length()).isLessThanOrEqualTo(dev.transcriber.common.store.StoredText.MESSAGE_CHARS + 100);

        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(PATH))
                .willReturn(aResponse()
                        .withStatus(400)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"" + message + "\"}}")));
        assertThatThrownBy(() -> transcriber(1).transcribe(call()))
                .isInstanceOfSatisfying(UpstreamException.Rejected.class, e -> {
                    assertThat(e.getMessage()).startsWith("badkey").doesNotContain("\0");
                    assertThat(e.getMessage().length())
                            .isLessThanOrEqualTo(dev.transcriber.common.store.StoredText.MESSAGE_CHARS);
                });
    }

    @Test
    void theDeadlineCoversRetriesToo() {
        upstream.stubFor(
                post(urlEqualTo(PATH)).willReturn(okJson("{\"text\":\"late\"}").withFixedDelay(2000)));
        UpstreamTranscriber transcriber =
                new UpstreamTranscriber(pool(2), List.of(client), policy, Duration.ofMillis(300));

        long started = System.nanoTime();
        assertThatThrownBy(() -> transcriber.transcribe(call())).isInstanceOf(DeadlineExceededException.class);

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1500));
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void aSlowAccountGetsLessTraffic() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-1"))
                .willReturn(okJson("{\"text\":\"slow\"}").withFixedDelay(300)));
        upstream.stubFor(post(urlEqualTo(PATH))
                .withHeader("Authorization", equalTo("Bearer key-2"))
                .willReturn(okJson("{\"text\":\"fast\"}").withFixedDelay(10)));
        UpstreamTranscriber transcriber = transcriber(2);

        java.util.Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();
        try (var callers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var done = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int c = 0; c < 6; c++) {
                done.add(callers.submit(() -> {
                    for (int i = 0; i < 8; i++) {
                        calls.merge(transcriber.transcribe(call()).accountId(), 1, Integer::sum);
                    }
                    return null;
                }));
            }
            for (var f : done) {
                f.get();
            }
        }

        assertThat(calls.get("openai-2")).isGreaterThan(3 * calls.getOrDefault("openai-1", 0));
    }

    @Test
    void azureAccountsUseTheDeploymentPathApiVersionAndApiKeyHeader() {
        String path = "/openai/deployments/my-whisper/audio/transcriptions?api-version=2024-06-01";
        upstream.stubFor(post(urlEqualTo(path)).willReturn(okJson("{\"text\":\"from azure\"}")));
        UpstreamAccount azure = new UpstreamAccount(
                "azure",
                AccountsProperties.ProviderKind.AZURE,
                upstream.baseUrl(),
                "azure-key",
                java.util.Map.of("whisper-1", "my-whisper"),
                1,
                4,
                0,
                "2024-06-01");
        AccountPool pool = new AccountPool(List.of(azure), Clock.systemUTC(), Duration.ZERO);

        UpstreamTranscriber.Result result =
                new UpstreamTranscriber(pool, List.of(client), policy, Duration.ofMinutes(1)).transcribe(call());

        assertThat(result.transcript().text()).isEqualTo("from azure");
        var request = upstream.findAll(postRequestedFor(urlEqualTo(path))).getFirst();
        assertThat(request.getHeader("api-key")).isEqualTo("azure-key");
        assertThat(request.containsHeader("Authorization")).isFalse();
    }

    @Test
    void withNoAccountTheLocalEngineCanStandIn() {
        List<UpstreamAccount> none = AccountPool.fromConfiguration(new AccountsProperties(
                List.of(),
                new AccountsProperties.OpenAi("https://api.openai.com/v1", ""),
                new AccountsProperties.LocalEngine(false, 2)));
        List<UpstreamAccount> local = AccountPool.fromConfiguration(new AccountsProperties(
                List.of(),
                new AccountsProperties.OpenAi("https://api.openai.com/v1", ""),
                new AccountsProperties.LocalEngine(true, 3)));

        assertThat(none).isEmpty();
        assertThat(local).singleElement().satisfies(a -> {
            assertThat(a.kind()).isEqualTo(AccountsProperties.ProviderKind.LOCAL);
            assertThat(a.maxConcurrency()).isEqualTo(3);
            assertThat(a.serves("gpt-4o-transcribe")).isTrue();
        });
    }

    @Test
    void commaSeparatedKeysMakeOneAccountEach() {
        List<UpstreamAccount> accounts = AccountPool.fromConfiguration(new AccountsProperties(
                List.of(),
                new AccountsProperties.OpenAi("https://api.example.test/v1/", " sk-a, sk-b ,,"),
                new AccountsProperties.LocalEngine(true, 2)));

        assertThat(accounts)
                .extracting(UpstreamAccount::id, UpstreamAccount::baseUrl, UpstreamAccount::apiKey)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("openai-1", "https://api.example.test/v1", "sk-a"),
                        org.assertj.core.groups.Tuple.tuple("openai-2", "https://api.example.test/v1", "sk-b"));
    }

    @Test
    void anUpstreamAnsweringAByteASecondIsCutOffAtTheCallTimeout() throws Exception {
        var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        try (TrickleServer slow = TrickleServer.start(100_000)) {
            UpstreamAccount account = UpstreamAccount.simple("slow", slow.url("/v1"), "key-1");
            long started = System.nanoTime();
            var answer = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> client.transcribe(account, call(), Duration.ofMinutes(1)), threads);

            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).until(answer::isDone);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(2_500));
            assertThat(slow.bytesSent()).isPositive(); // the headers came at once: only the body was slow
            assertThat(answer)
                    .failsWithin(Duration.ZERO)
                    .withThrowableThat()
                    .havingCause()
                    .isInstanceOf(UpstreamException.Retryable.class)
                    .withMessageContaining("timed out");
        } finally {
            threads.shutdownNow(); // after the server is gone: a call it still held ends with it
        }
    }

    @Test
    void aStoreThatCannotGiveTheAudioCostsNoUpstreamCallAndNoRetryBudget() {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(okJson("{\"text\":\"never\"}")));
        java.util.function.Supplier<java.io.InputStream> unreachable = () -> {
            throw new dev.transcriber.common.storage.ObjectStoreException("object store: get failed", null);
        };
        java.util.function.Supplier<java.io.InputStream> failsAtOnce = () -> new java.io.InputStream() {
            @Override
            public int read() throws java.io.IOException {
                throw new java.io.IOException("connection reset by the store");
            }
        };
        for (var audio : List.of(unreachable, failsAtOnce)) {
            assertThatThrownBy(() -> transcriber(2).transcribe(call(audio, AUDIO.length)))
                    .isInstanceOf(dev.transcriber.common.storage.ObjectStoreException.class);
        }
        upstream.verify(0, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void aStoreFailingMidwayIsAStorageFailureNotRetriedUpstream() {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(okJson("{\"text\":\"never\"}")));
        byte[] big = new byte[4 * 1024 * 1024];
        java.util.function.Supplier<java.io.InputStream> failsMidway = () -> new java.io.InputStream() {
            private int sent;

            @Override
            public int read() throws java.io.IOException {
                if (sent >= 256 * 1024) {
                    throw new java.io.IOException("connection reset by the store");
                }
                return big[sent++] & 0xff;
            }
        };
        assertThatThrownBy(() -> transcriber(2).transcribe(call(failsMidway, big.length)))
                .isInstanceOf(dev.transcriber.common.storage.ObjectStoreException.class);
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(PATH))))
                .as("complete requests the upstream saw")
                .isEmpty();
    }

    @Test
    void anEndpointIsReadFromAnAccountsUrlWhateverTheCaseOfItsSchemeOrTheUnderscoresOfItsHost() {
        assertThat(OpenAiCompatibleClient.Endpoint.of("https://api.openai.com/v1/audio/transcriptions"))
                .isEqualTo(new OpenAiCompatibleClient.Endpoint(
                        "https", "api.openai.com", 443, "/v1/audio/transcriptions"));
        var azure = OpenAiCompatibleClient.Endpoint.of(
                "HTTPS://x.openai.azure.com/openai/deployments/w/audio/transcriptions?api-version=2024-06-01");
        assertThat(azure)
                .isEqualTo(new OpenAiCompatibleClient.Endpoint(
                        "https",
                        "x.openai.azure.com",
                        443,
                        "/openai/deployments/w/audio/transcriptions?api-version=2024-06-01"));
        assertThat(azure.hostHeader()).isEqualTo("x.openai.azure.com");
        var compose = OpenAiCompatibleClient.Endpoint.of("http://whisper_server:8000/v1/audio/transcriptions");
        assertThat(compose)
                .isEqualTo(new OpenAiCompatibleClient.Endpoint(
                        "http", "whisper_server", 8000, "/v1/audio/transcriptions"));
        assertThat(compose.hostHeader()).isEqualTo("whisper_server:8000");
        assertThat(OpenAiCompatibleClient.Endpoint.of("http://[::1]:9000/v1").hostHeader())
                .isEqualTo("[::1]:9000");
        assertThatThrownBy(() -> OpenAiCompatibleClient.Endpoint.of("ftp://files.example.test/v1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private UpstreamTranscriber transcriber(int accounts) {
        return new UpstreamTranscriber(pool(accounts), List.of(client), policy, Duration.ofMinutes(1));
    }

    private static AccountPool pool(int accounts) {
        return pool(accounts, 8);
    }

    /** {@code accounts} accounts {@code openai-i} with keys {@code key-i}, each making {@code maxConcurrency} calls. */
    private static AccountPool pool(int accounts, int maxConcurrency) {
        List<UpstreamAccount> list = java.util.stream.IntStream.rangeClosed(1, accounts)
                .mapToObj(i -> new UpstreamAccount(
                        "openai-" + i,
                        AccountsProperties.ProviderKind.OPENAI,
                        upstream.baseUrl() + "/v1",
                        "key-" + i,
                        java.util.Map.of(),
                        1,
                        maxConcurrency,
                        0,
                        null))
                .toList();
        return new AccountPool(list, Clock.systemUTC(), Duration.ZERO);
    }

    /** OpenAI's answer when the key's project may not use the model asked for: this call refused, not the key. */
    private static ResponseDefinitionBuilder forbidden() {
        return aResponse()
                .withStatus(403)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"Project does not have access to model\"}}");
    }

    private static UpstreamCall call() {
        return call(() -> new ByteArrayInputStream(AUDIO), AUDIO.length);
    }

    private static UpstreamCall call(Lane lane) {
        return new UpstreamCall(
                "whisper-1",
                "whisper-1",
                "en",
                null,
                null,
                false,
                lane,
                "clip.wav",
                "audio/wav",
                AUDIO.length,
                () -> new ByteArrayInputStream(AUDIO));
    }

    private static UpstreamCall call(java.util.function.Supplier<java.io.InputStream> audio, long size) {
        return new UpstreamCall(
                "whisper-1",
                "whisper-1",
                "en",
                null,
                null,
                false,
                Lane.INTERACTIVE,
                "clip.wav",
                "audio/wav",
                size,
                audio);
    }
}
