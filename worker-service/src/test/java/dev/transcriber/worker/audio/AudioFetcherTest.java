package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.worker.support.S3Server;
import dev.transcriber.worker.support.TrickleServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/** The fetcher against real HTTP servers on 127.0.0.1. */
class AudioFetcherTest {

    private static final byte[] AUDIO = "ID3 pretend audio".getBytes();

    private S3Server s3;
    private final AtomicInteger requests = new AtomicInteger();
    private HttpServer origin;
    private TrickleServer trickle;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Server();
        origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/vnd.apple.mpegurl");
            exchange.sendResponseHeaders(200, AUDIO.length);
            exchange.getResponseBody().write(AUDIO);
            exchange.close();
        });
        origin.createContext("/status/", exchange -> {
            requests.incrementAndGet();
            int status = Integer.parseInt(exchange.getRequestURI().getPath().substring("/status/".length()));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        origin.createContext("/bad-redirect", exchange -> {
            requests.incrementAndGet();
            exchange.getResponseHeaders().add("Location", "http://a b/c.mp3"); // no URI: a space in its host
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        origin.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        origin.start();
        trickle = TrickleServer.start(100_000);
    }

    @AfterEach
    void stop() throws Exception {
        origin.stop(0);
        trickle.close();
        s3.close();
    }

    private String url(String path) {
        return "http://localhost:" + origin.getAddress().getPort() + path;
    }

    private AudioFetcher fetcher(AddressPolicy policy, Duration deadline) {
        return new AudioFetcher(s3.store(), policy, DataSize.ofMegabytes(10), Duration.ofSeconds(5), deadline);
    }

    @Test
    void connectsOnlyToTheAddressItChecked() throws Exception {
        // DNS rebinding: the name answers a public address when checked and loopback when asked again
        AtomicInteger lookups = new AtomicInteger();
        AddressPolicy policy = new AddressPolicy(
                false,
                List.of(),
                host -> List.of(InetAddress.getByName(lookups.getAndIncrement() == 0 ? "93.184.216.34" : "127.0.0.1")));

        assertThatThrownBy(
                        () -> fetcher(policy, Duration.ofSeconds(10)).fetch(url("/a.mp3"), "k", 1_000_000, "audio_url"))
                .isInstanceOf(AudioFetcher.FetchFailed.class)
                .hasMessageContaining("not allowed")
                .hasMessageNotContaining("127.0.0.1");
        assertThat(requests).hasValue(0);
        assertThat(s3.keys()).isEmpty();
    }

    @Test
    void anOriginThatIsDownOrFailingIsATransientFailureNotBadAudio() throws Exception {
        AudioFetcher fetcher = fetcher(new AddressPolicy(true, List.of()), Duration.ofSeconds(10));
        int closedPort;
        try (var socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }

        for (String url :
                List.of(url("/status/503"), url("/status/429"), "http://localhost:" + closedPort + "/a.mp3")) {
            assertThatThrownBy(() -> fetcher.fetch(url, "k"))
                    .as(url)
                    .isInstanceOf(AudioSourceUnavailableException.class);
        }
        assertThatThrownBy(() -> fetcher.fetch(url("/status/404"), "k"))
                .isInstanceOf(InvalidAudioException.class)
                .hasMessageContaining("404");
        assertThat(s3.keys()).isEmpty();
    }

    @Test
    void aRedirectToWhatIsNoUrlIsARefusalOfTheAudioNotAnInternalError() throws Exception {
        assertThatThrownBy(() -> fetcher(new AddressPolicy(true, List.of()), Duration.ofSeconds(10))
                        .fetch(url("/bad-redirect"), "k"))
                .isInstanceOf(InvalidAudioException.class)
                .hasMessageContaining("redirected to what is not a URL");
        assertThat(requests).hasValue(1);
        assertThat(s3.keys()).isEmpty();
    }

    @Test
    void storesTheObjectAsOctetStreamWhateverTheOriginCallsIt() throws Exception {
        AudioFetcher.Fetched fetched = fetcher(new AddressPolicy(true, List.of()), Duration.ofSeconds(10))
                .fetch(url("/a.mp3"), "k", 1_000_000, "audio_url");

        assertThat(fetched.sizeBytes()).isEqualTo(AUDIO.length);
        assertThat(s3.keys()).contains("k");
        assertThat(s3.contentType("k")).isEqualTo("application/octet-stream");
    }

    @Test
    void anOriginSendingAByteASecondIsCutOffAtTheDeadlineWhileOtherFetchesGoOn() throws Exception {
        AudioFetcher fetcher = fetcher(new AddressPolicy(true, List.of()), Duration.ofSeconds(2));
        long started = System.nanoTime();
        CompletableFuture<AudioFetcher.Fetched> slow = CompletableFuture.supplyAsync(
                () -> fetcher.fetch(trickle.url("/slow.mp3"), "slow", 1_000_000, "audio_url"),
                java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        await().atMost(Duration.ofSeconds(2)).until(() -> trickle.bytesSent() > 0);

        assertThat(fetcher.fetch(url("/fast.mp3"), "fast", 1_000_000, "audio_url")
                        .sizeBytes())
                .isEqualTo(AUDIO.length);
        assertThat(slow).isNotDone();

        await().atMost(Duration.ofSeconds(5)).until(slow::isDone);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isBetween(Duration.ofMillis(1_500), Duration.ofMillis(4_000));
        assertThat(slow)
                .failsWithin(Duration.ZERO)
                .withThrowableThat()
                .havingRootCause()
                .isInstanceOf(AudioFetcher.FetchFailed.class)
                .withMessageContaining("within 2 seconds");
        assertThat(s3.keys()).containsExactly("fast");
    }
}
