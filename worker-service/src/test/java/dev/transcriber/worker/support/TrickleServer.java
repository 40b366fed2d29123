package dev.transcriber.worker.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP server on 127.0.0.1 that answers every request with 200 and headers at once, then sends its declared body
 * one byte a second: a slow receiver or origin, which no header timeout stops.
 */
public final class TrickleServer implements AutoCloseable {

    private final ServerSocket server;
    private final long declaredLength;
    private final ScheduledExecutorService ticks = Executors.newScheduledThreadPool(1);
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();

    private TrickleServer(long declaredLength) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.declaredLength = declaredLength;
        Thread.ofVirtual().start(this::acceptAll);
    }

    public static TrickleServer start(long declaredLength) throws IOException {
        return new TrickleServer(declaredLength);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    /** Body bytes sent so far, over all connections. */
    public long bytesSent() {
        return sent.get();
    }

    public long connections() {
        return accepted.get();
    }

    private void acceptAll() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                open.add(socket);
                Thread.ofVirtual().start(() -> answer(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void answer(Socket socket) {
        try {
            readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + declaredLength
                            + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ticks.scheduleAtFixedRate(
                    () -> {
                        try {
                            out.write('x');
                            out.flush();
                            sent.incrementAndGet();
                        } catch (IOException e) {
                            throw new IllegalStateException("the client went away", e); // ends this ticker
                        }
                    },
                    0,
                    1,
                    TimeUnit.SECONDS);
        } catch (IOException e) {
            // the client went away
        }
    }

    /** Reads up to the blank line that ends the request's head (a body, if any, is left unread). */
    private static void readHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int b; matched < 4 && (b = in.read()) >= 0; ) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    @Override
    public void close() throws IOException {
        ticks.shutdownNow();
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
