package dev.transcriber.standalone.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A real TCP relay on 127.0.0.1 in front of a server (the object store), with a gate: while it is held, bytes that
 * arrive are kept (the caller waits on its read, as on a slow store) until it is opened again. For tests that need a
 * call to the store in progress at a moment of their choosing.
 */
public final class TcpGate implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition opened = lock.newCondition();
    private final AtomicInteger held = new AtomicInteger();
    private boolean open = true;
    private volatile boolean cut;

    private TcpGate(URI target) throws IOException {
        this.target = new InetSocketAddress(target.getHost(), target.getPort());
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-gate-accept").start(this::accept);
    }

    /** A gate in front of {@code endpoint} (an {@code http://host:port} URL), open. */
    public static TcpGate to(String endpoint) throws IOException {
        return new TcpGate(URI.create(endpoint));
    }

    /** The gate's own endpoint, to give the service instead of the server's. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** From now on, what arrives is kept until {@link #open()}. */
    public void hold() {
        lock.lock();
        try {
            open = false;
        } finally {
            lock.unlock();
        }
    }

    public void open() {
        lock.lock();
        try {
            open = true;
            opened.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The store goes away: every connection through the gate ends, and new ones end at once, until {@link #mend()}. */
    public void cut() {
        cut = true;
        sockets.forEach(this::closeQuietly);
        open();
    }

    public void mend() {
        cut = false;
    }

    /** Transfers waiting at the gate now (a request sent that the server has not seen). */
    public int held() {
        return held.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofVirtual().start(() -> pump(client, upstream));
                Thread.ofVirtual().start(() -> pump(upstream, client));
            } catch (IOException e) {
                // closed, or the server refused: the caller sees the connection end
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                awaitOpen();
                if (cut) {
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // one side ended: the other ends too
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void awaitOpen() throws InterruptedException {
        lock.lock();
        try {
            if (!open) {
                held.incrementAndGet();
                try {
                    while (!open) {
                        opened.await();
                    }
                } finally {
                    held.decrementAndGet();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        open();
        server.close();
        sockets.forEach(this::closeQuietly);
    }
}
