package dev.transcriber.standalone.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A real TCP relay on 127.0.0.1 in front of a server (the object store, PostgreSQL), with a gate: while it is held,
 * bytes that arrive are kept (the caller waits on its read, as on a slow store) until it is opened again. For tests
 * that need a call to the store in progress at a moment of their choosing. It can also lose one answer: the server
 * gets a request and acts on it, and the connection ends before its answer reaches the client
 * ({@link #loseAnswerAfter}).
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
    private final java.util.concurrent.atomic.AtomicReference<LostAnswer> answerToLose =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final AtomicInteger answersLost = new AtomicInteger();

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

    /**
     * Once: the first connection whose client sends {@code marker} gets no answer to that write, or to the
     * {@code laterWrites}-th write after it (a transaction's commit after its statement: a driver sends each in one
     * write and waits for its answer). The server's answer is dropped and the connection closed, so the server has
     * done what it was asked (a PostgreSQL commit: its answer comes after the commit) and the client cannot know it.
     */
    public void loseAnswerAfter(String marker, int laterWrites) {
        answerToLose.set(new LostAnswer(marker.getBytes(StandardCharsets.UTF_8), laterWrites, false, false));
    }

    /** As {@link #loseAnswerAfter}, and the server goes away with the answer ({@link #cut()}) until {@link #mend()}. */
    public void loseAnswerAndCutAfter(String marker, int laterWrites) {
        answerToLose.set(new LostAnswer(marker.getBytes(StandardCharsets.UTF_8), laterWrites, true, false));
    }

    /**
     * Once: the first connection whose client sends {@code marker} ends as soon as that write is passed on. The server
     * has the request and goes on with it (a statement waiting on a lock keeps waiting) while the client has lost it.
     */
    public void endConnectionAfter(String marker) {
        answerToLose.set(new LostAnswer(marker.getBytes(StandardCharsets.UTF_8), 0, false, true));
    }

    /** Nothing is lost any more. */
    public void loseNoAnswer() {
        answerToLose.set(null);
    }

    /** Answers dropped by {@link #loseAnswerAfter} so far. */
    public int answersLost() {
        return answersLost.get();
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
                Watch watch = new Watch();
                Thread.ofVirtual().start(() -> pump(client, upstream, watch, true));
                Thread.ofVirtual().start(() -> pump(upstream, client, watch, false));
            } catch (IOException e) {
                // closed, or the server refused: the caller sees the connection end
            }
        }
    }

    private void pump(Socket from, Socket to, Watch watch, boolean fromClient) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                awaitOpen();
                if (cut) {
                    return;
                }
                if (fromClient) {
                    watch.sent(buffer, n);
                } else if (watch.armed != null) {
                    answersLost.incrementAndGet();
                    if (watch.armed.thenCut()) {
                        cut();
                    }
                    return; // the answer goes nowhere, and both ends are closed below
                }
                out.write(buffer, 0, n);
                out.flush();
                if (fromClient && watch.armed != null && watch.armed.atOnce()) {
                    answersLost.incrementAndGet();
                    return; // the request is on its way, and both ends are closed below
                }
            }
        } catch (IOException | InterruptedException e) {
            // one side ended: the other ends too
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private record LostAnswer(byte[] marker, int laterWrites, boolean thenCut, boolean atOnce) {}

    /** One connection's progress towards {@link #loseAnswerAfter}'s write. */
    private final class Watch {
        private LostAnswer wanted;
        private int writesLeft = -1; // until the marker is seen
        private byte[] tail = new byte[0];
        private volatile LostAnswer armed;

        /** Called with each write of the client, before it is passed on. */
        void sent(byte[] buffer, int n) {
            LostAnswer current = answerToLose.get();
            if (current != wanted) { // armed anew (or disarmed) since this connection last looked
                wanted = current;
                writesLeft = -1;
                tail = new byte[0];
            }
            if (wanted == null) {
                return;
            }
            if (writesLeft < 0) {
                byte[] seen = Arrays.copyOf(tail, tail.length + n);
                System.arraycopy(buffer, 0, seen, tail.length, n);
                if (indexOf(seen, wanted.marker(), 0) < 0) {
                    int keep = Math.min(seen.length, wanted.marker().length - 1);
                    tail = Arrays.copyOfRange(seen, seen.length - keep, seen.length);
                    return;
                }
                writesLeft = wanted.laterWrites();
            } else {
                writesLeft--;
            }
            if (writesLeft == 0) {
                if (answerToLose.compareAndSet(wanted, null)) { // unless another connection took it first
                    armed = wanted;
                }
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        for (int i = from; i <= haystack.length - needle.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
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
