package dev.transcriber.standalone.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A webhook receiver on 127.0.0.1 that records what it gets and answers with the status (and headers) it was told to
 * when the request came; told to {@link #holdAnswers hold}, it records each request at once but answers only when
 * {@link #releaseAnswers released}, as a slow receiver would.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request as received. */
    public record Received(Map<String, String> headers, String body) {}

    /** The status and headers to answer with. */
    private record Answer(int status, Map<String, String> headers) {}

    private static final CountDownLatch AT_ONCE = new CountDownLatch(0);

    private final HttpServer server;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<CountDownLatch> holds = new CopyOnWriteArrayList<>();
    private volatile Answer answer = new Answer(200, Map.of());
    private volatile CountDownLatch gate = AT_ONCE;

    public WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(handlers);
        server.createContext("/hook", exchange -> {
            try (exchange) {
                Answer answering = answer;
                CountDownLatch held = gate;
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Map<String, String> headers = new java.util.HashMap<>();
                exchange.getRequestHeaders()
                        .forEach((name, values) ->
                                headers.put(name.toLowerCase(java.util.Locale.ROOT), String.join(",", values)));
                received.add(new Received(headers, body));
                try {
                    held.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answering.headers().forEach(exchange.getResponseHeaders()::set);
                exchange.sendResponseHeaders(answering.status(), -1);
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
        answer = new Answer(status, Map.copyOf(headers));
    }

    /** Requests from now are recorded as they come but wait for their answer until {@link #releaseAnswers}. */
    public void holdAnswers() {
        CountDownLatch hold = new CountDownLatch(1);
        holds.add(hold);
        gate = hold;
    }

    /** Requests from now are answered at once; those held still wait for {@link #releaseAnswers}. */
    public void stopHolding() {
        gate = AT_ONCE;
    }

    /** Answers every request held, and those to come at once. */
    public void releaseAnswers() {
        gate = AT_ONCE;
        holds.forEach(CountDownLatch::countDown);
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public void clear() {
        received.clear();
    }

    @Override
    public void close() {
        try {
            server.stop(0);
        } finally {
            handlers.shutdownNow(); // the server does not stop the executor it was given
        }
    }
}
