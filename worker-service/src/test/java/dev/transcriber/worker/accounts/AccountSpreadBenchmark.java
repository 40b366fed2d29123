package dev.transcriber.worker.accounts;

import com.sun.net.httpserver.HttpServer;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.tracing.Traces;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prints how the balancer spreads calls over accounts of different speeds: three fake upstreams (real HTTP servers on
 * 127.0.0.1) answering in 50, 150 and 600 ms, each account allowed 4 calls at once, 600 calls from 12 callers.
 * Run with {@code bench/accounts.sh}.
 */
public final class AccountSpreadBenchmark {

    public static void main(String[] args) throws Exception {
        int[] latencies = {50, 150, 600};
        List<HttpServer> servers = new ArrayList<>();
        List<UpstreamAccount> accounts = new ArrayList<>();
        for (int latency : latencies) {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/v1/audio/transcriptions", exchange -> {
                try (InputStream in = exchange.getRequestBody()) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                try {
                    Thread.sleep(latency);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] body = "{\"text\":\"ok\"}".getBytes();
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            servers.add(server);
            accounts.add(new UpstreamAccount(
                    latency + "ms",
                    AccountsProperties.ProviderKind.OPENAI,
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
                    "k",
                    Map.of(),
                    1,
                    4,
                    0,
                    null));
        }
        AccountPool pool = new AccountPool(accounts, Clock.systemUTC(), Duration.ofMinutes(1));
        UpstreamTranscriber transcriber = new UpstreamTranscriber(
                pool,
                List.of(new OpenAiCompatibleClient(
                        JsonMapper.builder().build(), Duration.ofSeconds(10), Clock.systemUTC(), Traces.none())),
                new UpstreamRetryPolicy(new RetryProperties(3, Duration.ofMillis(50), 2, 0.5, Duration.ofSeconds(1))),
                Duration.ofMinutes(1));
        byte[] audio = new byte[16_000];
        Map<String, Integer> calls = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        try (var callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 12; c++) {
                done.add(callers.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        var result = transcriber.transcribe(new UpstreamCall(
                                "whisper-1",
                                "whisper-1",
                                null,
                                null,
                                null,
                                false,
                                Lane.INTERACTIVE,
                                "a.wav",
                                "audio/wav",
                                audio.length,
                                () -> new ByteArrayInputStream(audio)));
                        calls.merge(result.accountId(), 1, Integer::sum);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                Locale.ROOT, "balancer spread over 600 calls in %.1f s (%.0f calls/s):%n", seconds, 600 / seconds);
        new TreeMap<>(calls)
                .forEach((account, n) -> System.out.printf(
                        Locale.ROOT, "  account answering in %-6s %4d calls (%.0f%%)%n", account, n, 100.0 * n / 600));
        pool.status()
                .forEach(s -> System.out.printf(
                        Locale.ROOT, "  %-6s p50 %.0f ms p95 %.0f ms%n", s.id(), s.latencyP50Ms(), s.latencyP95Ms()));
        servers.forEach(s -> s.stop(0));
    }

    private AccountSpreadBenchmark() {}
}
