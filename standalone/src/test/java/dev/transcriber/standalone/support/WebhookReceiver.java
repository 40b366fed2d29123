package dev.transcriber.standalone.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook receiver on 127.0.0.1 that records what it gets and answers with the status (and headers) it is told to;
 * told to {@link #holdAnswers hold}, it records each request at once but answers only when {@link #releaseAnswers
 * released}, as a slow receiver would.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request as received. */
    public record Received(Map<String, String> headers, String body) {}

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger answer = new AtomicInteger(200);
    private volatile Map<String, String> answerHeaders = Map.of();
    private volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);

    public WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/hook", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Map<String, String> headers = new java.util.HashMap<>();
                exchange.getRequestHeaders()
                        .forEach((name, values) ->
                                headers.put(name.toLowerCase(java.util.Locale.ROOT), String.join(",", values)));
                received.add(new Received(headers, body));
                try {
                    gate.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answerHeaders.forEach(exchange.getResponseHeaders()::set);
                exchange.sendResponseHeaders(answer.get(), -1);
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    public void answer(int status) {
        answer(status, Map.of());
    }

    /** Answers {@code status} with {@code headers} (a {@code Retry-After}, say) from now on. */
    public void answer(int status, Map<String, String> headers) {
        answerHeaders = Map.copyOf(headers);
        answer.set(status);
    }

    /** Requests are recorded as they come but wait for their answer until {@link #releaseAnswers}. */
    public void holdAnswers() {
        gate = new java.util.concurrent.CountDownLatch(1);
    }

    public void releaseAnswers() {
        gate.countDown();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public void clear() {
        received.clear();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
