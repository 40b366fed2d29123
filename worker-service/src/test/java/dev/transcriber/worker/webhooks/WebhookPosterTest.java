package dev.transcriber.worker.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.worker.support.TrickleServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhook attempts against real receivers on 127.0.0.1. */
class WebhookPosterTest {

    private static final Map<String, String> HEADERS = Map.of("Content-Type", "application/json");

    private final AtomicInteger received = new AtomicInteger();
    private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
    private HttpServer receiver;
    private TrickleServer slowReceiver;

    @BeforeEach
    void start() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.start();
        slowReceiver = TrickleServer.start(100_000);
    }

    @AfterEach
    void stop() throws IOException {
        receiver.stop(0);
        slowReceiver.close();
        senders.shutdownNow();
    }

    private String url() {
        return "http://localhost:" + receiver.getAddress().getPort() + "/hook";
    }

    @Test
    void aReceiverAnsweringAByteASecondIsCutOffAtTheDeadlineWhileOtherDeliveriesFlow() {
        WebhookPoster poster = new WebhookPoster(new AddressPolicy(true, List.of()), Duration.ofSeconds(2));
        long started = System.nanoTime();
        CompletableFuture<WebhookPoster.Outcome> slow =
                CompletableFuture.supplyAsync(() -> poster.post(slowReceiver.url("/hook"), HEADERS, "{}"), senders);
        await().atMost(Duration.ofSeconds(2)).until(() -> slowReceiver.bytesSent() > 0);

        WebhookPoster.Outcome fast = poster.post(url(), HEADERS, "{}");
        assertThat(fast.status()).as(String.valueOf(fast)).isEqualTo(204);
        assertThat(fast.error()).isNull();
        assertThat(slow).isNotDone();

        await().atMost(Duration.ofSeconds(5)).until(slow::isDone);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isBetween(Duration.ofMillis(1_500), Duration.ofMillis(4_000));
        assertThat(slow.join().error()).isNotNull().contains("could not deliver");
        assertThat(received).hasValue(1);
    }

    @Test
    void postsOnlyToTheAddressThePolicyChecked() {
        AtomicInteger lookups = new AtomicInteger();
        AddressPolicy rebinding = new AddressPolicy(
                false,
                List.of(),
                host -> List.of(InetAddress.getByName(lookups.getAndIncrement() == 0 ? "93.184.216.34" : "127.0.0.1")));

        WebhookPoster.Outcome outcome = new WebhookPoster(rebinding, Duration.ofSeconds(5)).post(url(), HEADERS, "{}");

        assertThat(outcome.status()).isNull();
        assertThat(outcome.error()).contains("address not allowed").doesNotContain("127.0.0.1");
        assertThat(received).hasValue(0);
    }

    @Test
    void aReceiverWhoseAnswerCannotBeStoredIsStillRecordedAsAFailedAttempt() throws Exception {
        // OkHttp quotes a malformed status line whole: with a NUL in it, the attempt's row could not be written, and
        // the delivery was sent again after every lease, forever
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            senders.submit(() -> {
                try (java.net.Socket socket = raw.accept()) {
                    socket.getInputStream().read(new byte[8192]);
                    socket.getOutputStream()
                            .write(("HTTP/1.1 2\0 OK" + "x".repeat(10_000) + "\r\n\r\n")
                                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                return null;
            });
            WebhookPoster poster = new WebhookPoster(new AddressPolicy(true, List.of()), Duration.ofSeconds(5));

            WebhookPoster.Outcome outcome =
                    poster.post("http://localhost:" + raw.getLocalPort() + "/hook", HEADERS, "{}");

            assertThat(outcome.status()).isNull();
            assertThat(outcome.error()).startsWith("could not deliver").doesNotContain("\0");
            assertThat(outcome.error().length())
                    .isLessThanOrEqualTo(dev.transcriber.common.store.StoredText.MESSAGE_CHARS);
        }
    }
}
