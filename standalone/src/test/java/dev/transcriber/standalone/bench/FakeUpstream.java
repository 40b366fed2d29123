package dev.transcriber.standalone.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An OpenAI-compatible transcription server for benchmarks: reads the whole upload, waits a fixed time (or until
 * released), answers with text and token usage.
 */
final class FakeUpstream implements AutoCloseable {

    private static final byte[] BODY = ("{\"text\":\"benchmark transcript\",\"usage\":{\"type\":\"tokens\","
                    + "\"input_tokens\":10,\"output_tokens\":2,\"total_tokens\":12,"
                    + "\"input_token_details\":{\"audio_tokens\":10,\"text_tokens\":0}}}")
            .getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final Duration latency;
    private final AtomicReference<CountDownLatch> gate = new AtomicReference<>(new CountDownLatch(0));

    FakeUpstream(Duration latency) throws IOException {
        this.latency = latency;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4096);
        server.setExecutor(Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("bench-upstream-", 0).factory()));
        server.createContext("/v1/audio/transcriptions", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            try {
                gate.get().await();
                if (!latency.isZero()) {
                    Thread.sleep(latency);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BODY);
            }
        });
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** Holds every call until {@link #open()}. */
    void hold() {
        gate.set(new CountDownLatch(1));
    }

    void open() {
        gate.get().countDown();
    }

    @Override
    public void close() {
        open();
        server.stop(0);
    }
}
