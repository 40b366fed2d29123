package dev.transcriber.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ServerSocketFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object store's own HTTP/1.1 client against a server on a raw socket that answers as each test scripts it:
 * connections kept and given up, the answer's three ways of ending its body, timeouts and cancels, and TLS with the
 * host name checked.
 */
class StoreConnectionsTest {

    private static final List<Map.Entry<String, String>> NO_HEADERS = List.of();

    private final AtomicLong clock = new AtomicLong();
    private FakeServer server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aConnectionIsKeptForTheNextExchange() throws Exception {
        server = FakeServer.start(request -> answer(200, "hello " + request.target()));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/a")).isEqualTo("hello /a");
        assertThat(connections.idleConnections()).isEqualTo(1);
        assertThat(get(connections, "/b")).isEqualTo("hello /b");

        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aPutSendsItsHeadersAndBodyAsGiven() throws Exception {
        server = FakeServer.start(request -> answer(200, ""));
        StoreConnections connections = connections(Duration.ofSeconds(5));
        byte[] body = "0123456789".repeat(1000).getBytes(StandardCharsets.UTF_8);

        try (StoreConnections.Answer answer = connections
                .exchange("http", "127.0.0.1", server.port())
                .send("PUT", "/bucket/a%20b", List.of(Map.entry("x-amz-date", "20261206T000000Z")), body)) {
            assertThat(answer.status()).isEqualTo(200);
        }

        Request received = server.requests().getFirst();
        assertThat(received.method()).isEqualTo("PUT");
        assertThat(received.target()).isEqualTo("/bucket/a%20b");
        assertThat(received.headers()).containsEntry("x-amz-date", "20261206T000000Z");
        assertThat(received.headers()).containsEntry("content-length", "10000");
        assertThat(received.body()).isEqualTo(body);
    }

    @Test
    void aKeptConnectionTheStoreClosedIsReplacedByANewOne() throws Exception {
        server = FakeServer.start(
                request -> request.number() == 1 ? answerThenClose(200, "first") : answer(200, "next"));
        StoreConnections connections = connections(Duration.ofSeconds(5));
        assertThat(get(connections, "/1")).isEqualTo("first");
        await().until(() -> server.closedByServer() == 1);

        assertThat(get(connections, "/2")).isEqualTo("next");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void aNewConnectionThatFailsIsNotTriedAgain() throws Exception {
        server = FakeServer.start(request -> CLOSE);
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> get(connections, "/x")).isInstanceOf(EOFException.class);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aReadThatTimesOutIsNotRepeatedOnAnotherConnection() throws Exception {
        server = FakeServer.start(request -> request.number() == 1 ? answer(200, "first") : SILENCE);
        StoreConnections connections = connections(Duration.ofMillis(300));
        assertThat(get(connections, "/1")).isEqualTo("first");

        assertThatThrownBy(() -> get(connections, "/2")).isInstanceOf(SocketTimeoutException.class);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aChunkedBodyIsDecodedAndItsConnectionKept() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: ignored\r\n\r\n";
        server = FakeServer.start(request -> raw(chunked, false));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/1")).isEqualTo("hello world!");
        assertThat(get(connections, "/2")).isEqualTo("hello world!");
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aBodyWithoutLengthEndsWithItsConnectionWhichIsNotKept() throws Exception {
        server = FakeServer.start(request ->
                request.number() == 1 ? raw("HTTP/1.1 200 OK\r\n\r\nto the end", true) : answer(200, "next"));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/1")).isEqualTo("to the end");
        assertThat(connections.idleConnections()).isZero();
        assertThat(get(connections, "/2")).isEqualTo("next");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void anAnswerSayingCloseIsNotKept() throws Exception {
        server = FakeServer.start(
                request -> raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", false));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/1")).isEqualTo("ok");
        assertThat(connections.idleConnections()).isZero();
        assertThat(get(connections, "/2")).isEqualTo("ok");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void aBodyClosedEarlyKeepsItsConnectionOnlyWhenLittleIsLeft() throws Exception {
        server = FakeServer.start(request ->
                answer(200, "x".repeat(request.target().equals("/big") ? 1 << 20 : 100)));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        try (StoreConnections.Answer answer = send(connections, "/small")) {
            assertThat(answer.body().read()).isEqualTo('x');
        }
        assertThat(connections.idleConnections()).isEqualTo(1);
        try (StoreConnections.Answer answer = send(connections, "/big")) {
            assertThat(answer.body().read()).isEqualTo('x');
        }
        assertThat(connections.idleConnections()).isZero();
        assertThat(server.connections()).isEqualTo(1);
        get(connections, "/small");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void aBodyClosedBeforeItsRestArrivedIsNotWaitedFor() throws Exception {
        server = FakeServer.start(request -> new Reply(
                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf".getBytes(StandardCharsets.ISO_8859_1),
                false,
                true));
        StoreConnections connections = connections(Duration.ofSeconds(60));
        StoreConnections.Answer answer = send(connections, "/");
        assertThat(answer.body().read()).isEqualTo('h');

        CompletableFuture<Void> closing = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            answer.close();
            closing.complete(null);
        });

        await().atMost(Duration.ofSeconds(10)).until(closing::isDone);
        assertThat(connections.idleConnections()).isZero();
    }

    @Test
    void aTruncatedBodyIsAFailureNotAnEnd() throws Exception {
        server = FakeServer.start(request -> raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", true));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        try (StoreConnections.Answer answer = send(connections, "/1")) {
            assertThatThrownBy(() -> answer.body().readAllBytes()).isInstanceOf(EOFException.class);
        }
        assertThat(connections.idleConnections()).isZero();
    }

    @Test
    void aConnectionIdleTooLongIsClosedInsteadOfUsed() throws Exception {
        server = FakeServer.start(request -> answer(200, "ok"));
        StoreConnections connections = connections(Duration.ofSeconds(5));
        get(connections, "/1");

        clock.addAndGet(StoreConnections.KEEP_IDLE.toNanos() + 1);
        get(connections, "/2");

        assertThat(server.connections()).isEqualTo(2);
        await().until(() -> server.closedByClient() == 1);
    }

    @Test
    void aHeaderThatWouldSplitTheRequestIsRefused() throws Exception {
        server = FakeServer.start(request -> answer(200, "ok"));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> connections
                        .exchange("http", "127.0.0.1", server.port())
                        .send("GET", "/", List.of(Map.entry("x-a", "b\r\nx-injected: c")), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(server.connections()).isZero();
    }

    @Test
    void aCancelEndsAWriteTheStoreDoesNotRead() throws Exception {
        server = FakeServer.start(request -> answer(200, "never read"), false);
        StoreConnections connections = connections(Duration.ofSeconds(30));
        StoreConnections.Exchange exchange = connections.exchange("http", "127.0.0.1", server.port());
        CompletableFuture<Void> put = putOnItsOwnThread(exchange);
        await().until(() -> server.connections() == 1);

        exchange.cancel();

        await().atMost(Duration.ofSeconds(10)).until(put::isDone);
        assertThatThrownBy(put::join).hasCauseInstanceOf(IOException.class); // not answered: failed
        assertThat(exchange.isCancelled()).isTrue();
    }

    @Test
    void aCancelOverTlsEndsAWriteTheStoreDoesNotRead(@TempDir Path dir) throws Exception {
        SSLContext context = selfSigned(dir);
        server = FakeServer.start(request -> answer(200, "never read"), false, context.getServerSocketFactory());
        StoreConnections connections = new StoreConnections(
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                context.getSocketFactory(),
                clock::get,
                InetAddress::getAllByName);
        StoreConnections.Exchange exchange = connections.exchange("https", "localhost", server.port());
        Thread[] writer = new Thread[1];
        CompletableFuture<Void> put = putOnItsOwnThread(exchange, writer);
        // the handshake done and the server's one byte read, the writer waits for room in the socket's buffers
        await().until(() -> server.readFirstByte() && writer[0].getState() == Thread.State.WAITING);

        Thread cancel = Thread.ofPlatform().start(exchange::cancel); // the PUT deadlines' thread, as it were

        await().atMost(Duration.ofSeconds(10)).until(() -> !cancel.isAlive() && put.isDone());
        assertThatThrownBy(put::join).hasCauseInstanceOf(IOException.class); // not answered: failed
    }

    @Test
    void aCancelAfterTheAnswerEndedLeavesItsKeptConnectionAlone() throws Exception {
        server = FakeServer.start(request -> answer(200, ""));
        StoreConnections connections = connections(Duration.ofSeconds(5));
        StoreConnections.Exchange put = connections.exchange("http", "127.0.0.1", server.port());
        try (StoreConnections.Answer answer = put.send("PUT", "/a", NO_HEADERS, new byte[10])) {
            assertThat(answer.status()).isEqualTo(200);
        }

        put.cancel(); // a deadline that fired just as the answer came

        assertThat(get(connections, "/b")).isEmpty();
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void anAnswerSentBeforeTheStoreReadTheBodyIsTheAnswer() throws Exception {
        server = FakeServer.start(request ->
                Reply.refusingEarly("HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\ndenied."));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        try (StoreConnections.Answer answer = connections
                .exchange("http", "127.0.0.1", server.port())
                .send("PUT", "/", NO_HEADERS, new byte[64 << 20])) {
            assertThat(answer.status()).isEqualTo(403);
            assertThat(answer.bodyText(100)).isEqualTo("denied.");
        }
        assertThat(connections.idleConnections()).isZero();
    }

    @Test
    void aSuccessSentBeforeTheStoreReadTheBodyIsNoAnswer() throws Exception {
        server = FakeServer.start(
                request -> Reply.refusingEarly("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> connections
                        .exchange("http", "127.0.0.1", server.port())
                        .send("PUT", "/", NO_HEADERS, new byte[64 << 20]))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aRefusalOnAKeptConnectionIsNotTakenForTheAnswerButTheRequestSentAgain() throws Exception {
        server = FakeServer.start(request -> switch (request.number()) {
            case 1 -> answer(200, "first");
            case 2 ->
                Reply.refusingEarly("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            default -> answer(200, "");
        });
        StoreConnections connections = connections(Duration.ofSeconds(5));
        assertThat(get(connections, "/1")).isEqualTo("first");

        try (StoreConnections.Answer answer = connections
                .exchange("http", "127.0.0.1", server.port())
                .send("PUT", "/2", NO_HEADERS, new byte[64 << 20])) {
            assertThat(answer.status()).isEqualTo(200);
        }
        assertThat(server.connections()).isEqualTo(2);
        assertThat(server.requests().getLast().body()).hasSize(64 << 20);
    }

    @Test
    void aKeptConnectionWithBytesNobodyAskedForIsNotUsed() throws Exception {
        server = FakeServer.start(request -> request.number() == 1
                ? raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirstHTTP/1.1 408 Request Timeout\r\n\r\n", true)
                : answer(200, "next"));
        StoreConnections connections = connections(Duration.ofSeconds(5));
        assertThat(get(connections, "/1")).isEqualTo("first");
        await().until(() -> server.closedByServer() == 1);

        assertThat(get(connections, "/2")).isEqualTo("next");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void aChunkedBodyWhoseFramingBreaksFailsForGoodAndIsNotKept() throws Exception {
        server = FakeServer.start(request -> raw(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\nnot a size\r\n3\r\nabc\r\n0\r\n\r\n",
                false));
        StoreConnections connections = connections(Duration.ofSeconds(5));
        StoreConnections.Answer answer = send(connections, "/");
        byte[] five = new byte[5];

        assertThatThrownBy(() -> answer.body().read(five)).isInstanceOf(java.net.ProtocolException.class);
        await().until(() -> server.closedByClient() == 1); // closed at the failure, not only when the answer is
        assertThatThrownBy(() -> answer.body().read(five)).hasMessageContaining("failed before");
        answer.close();
        assertThat(connections.idleConnections()).isZero();
    }

    /** 127.0.0.2 is a loopback address on Linux with nothing listening on it: it refuses. */
    @Test
    void theNextAddressIsTriedWhenOneRefuses() throws Exception {
        server = FakeServer.start(request -> answer(200, "second address"));
        InetAddress refusing = InetAddress.getByAddress("store", new byte[] {127, 0, 0, 2});
        InetAddress listening = InetAddress.getByAddress("store", new byte[] {127, 0, 0, 1});
        StoreConnections connections = new StoreConnections(
                Duration.ofSeconds(5),
                Duration.ofSeconds(5),
                (SSLSocketFactory) SSLSocketFactory.getDefault(),
                clock::get,
                host -> new InetAddress[] {refusing, listening});

        try (StoreConnections.Answer answer =
                connections.exchange("http", "store", server.port()).send("GET", "/", NO_HEADERS, null)) {
            assertThat(answer.bodyText(100)).isEqualTo("second address");
        }
    }

    @Test
    void aConnectionWhoseAnswerEndsAfterCloseIsNotKept() throws Exception {
        server = FakeServer.start(request -> answer(200, "late"));
        StoreConnections connections = connections(Duration.ofSeconds(5));
        StoreConnections.Answer answer = send(connections, "/");

        connections.close();

        assertThat(answer.bodyText(100)).isEqualTo("late");
        answer.close();
        assertThat(connections.idleConnections()).isZero();
        await().until(() -> server.closedByClient() == 1);
    }

    @Test
    void aTransferCodingOtherThanChunkedIsRefused() throws Exception {
        server = FakeServer.start(
                request -> raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", false));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> get(connections, "/")).isInstanceOf(java.net.ProtocolException.class);
    }

    @Test
    void aStatusLineOfAnotherShapeIsRefused() throws Exception {
        server = FakeServer.start(request -> raw("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", false));
        StoreConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> get(connections, "/")).isInstanceOf(java.net.ProtocolException.class);
    }

    @Test
    void overTlsTheCertificateMustNameTheHostAsked(@TempDir Path dir) throws Exception {
        SSLContext context = selfSigned(dir);
        server = FakeServer.start(request -> answer(200, "secure"), true, context.getServerSocketFactory());
        StoreConnections connections = new StoreConnections(
                Duration.ofSeconds(5),
                Duration.ofSeconds(5),
                context.getSocketFactory(),
                clock::get,
                InetAddress::getAllByName);

        try (StoreConnections.Answer answer =
                connections.exchange("https", "localhost", server.port()).send("GET", "/", NO_HEADERS, null)) {
            assertThat(answer.bodyText(100)).isEqualTo("secure");
        }
        assertThatThrownBy(() -> connections
                        .exchange("https", "127.0.0.1", server.port())
                        .send("GET", "/", NO_HEADERS, null))
                .isInstanceOf(SSLHandshakeException.class);
    }

    /**
     * A PUT of 64 MiB, more than the sockets' buffers hold, on a thread of its own (not the common pool: one thread on
     * two cores, which a test's other task would wait behind); it fails, or is answered.
     */
    private static CompletableFuture<Void> putOnItsOwnThread(StoreConnections.Exchange exchange) {
        return putOnItsOwnThread(exchange, new Thread[1]);
    }

    /** The same, its thread put in {@code thread[0]}. */
    private static CompletableFuture<Void> putOnItsOwnThread(StoreConnections.Exchange exchange, Thread[] thread) {
        CompletableFuture<Void> put = new CompletableFuture<>();
        thread[0] = Thread.ofVirtual().unstarted(() -> {
            try (StoreConnections.Answer answer = exchange.send("PUT", "/", NO_HEADERS, new byte[64 << 20])) {
                put.completeExceptionally(new AssertionError("answered " + answer.status()));
            } catch (IOException | RuntimeException e) {
                put.completeExceptionally(e);
            }
        });
        thread[0].start();
        return put;
    }

    private StoreConnections connections(Duration readTimeout) {
        return new StoreConnections(
                Duration.ofSeconds(5),
                readTimeout,
                (SSLSocketFactory) SSLSocketFactory.getDefault(),
                clock::get,
                InetAddress::getAllByName);
    }

    private StoreConnections.Answer send(StoreConnections connections, String target) throws IOException {
        return connections.exchange("http", "127.0.0.1", server.port()).send("GET", target, NO_HEADERS, null);
    }

    private String get(StoreConnections connections, String target) throws IOException {
        try (StoreConnections.Answer answer = send(connections, target)) {
            return new String(answer.body().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A key pair and self-signed certificate naming {@code localhost} only, made by the JDK's keytool. */
    private static SSLContext selfSigned(Path dir) throws Exception {
        Path store = dir.resolve("store.p12");
        Process keytool = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        "store",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-dname",
                        "CN=localhost",
                        "-ext",
                        "SAN=dns:localhost",
                        "-validity",
                        "2",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        store.toString(),
                        "-storepass",
                        "changeit")
                .redirectErrorStream(true)
                .start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as(output).isZero();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, "changeit".toCharArray());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(keys);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /** Close the connection without answering. */
    private static final Reply CLOSE = new Reply(new byte[0], true);

    /** Never answer. */
    private static final Reply SILENCE = new Reply(new byte[0], false);

    private static Reply answer(int status, String body) {
        return raw(
                "HTTP/1.1 " + status + " X\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                        + "\r\n\r\n" + body,
                false);
    }

    private static Reply answerThenClose(int status, String body) {
        return new Reply(answer(status, body).bytes(), true);
    }

    private static Reply raw(String answer, boolean thenClose) {
        return new Reply(answer.getBytes(StandardCharsets.UTF_8), thenClose);
    }

    /** What the server sends, and whether it closes the connection after it, or sends nothing more. */
    record Reply(byte[] bytes, boolean thenClose, boolean thenSilent, boolean beforeBody) {

        Reply(byte[] bytes, boolean thenClose) {
            this(bytes, thenClose, false, false);
        }

        Reply(byte[] bytes, boolean thenClose, boolean thenSilent) {
            this(bytes, thenClose, thenSilent, false);
        }

        /**
         * Sent as soon as the request's head is read, and the connection closed with its body unread, so the server's
         * kernel resets it; Linux, where this project runs, keeps what arrived before the reset readable, as the
         * client relies on.
         */
        static Reply refusingEarly(String answer) {
            return new Reply(answer.getBytes(StandardCharsets.ISO_8859_1), true, false, true);
        }
    }

    /** A request as the server read it; the body is null in what a script is given (the head only). */
    record Request(int number, String method, String target, Map<String, String> headers, byte[] body) {}

    /** Answers each request by a script: a reply, {@link #CLOSE} or {@link #SILENCE}. */
    interface Script {
        Reply answer(Request request) throws IOException;
    }

    /** An HTTP/1.1 server on a raw socket, one thread per connection, counting connections and who closed them. */
    private static final class FakeServer implements AutoCloseable {

        private final ServerSocket socket;
        private final Script script;
        private final boolean reads;
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger requests = new AtomicInteger();
        private final AtomicInteger closedByServer = new AtomicInteger();
        private final java.util.concurrent.atomic.AtomicBoolean readFirstByte =
                new java.util.concurrent.atomic.AtomicBoolean();
        private final AtomicInteger closedByClient = new AtomicInteger();
        private final List<Request> received = new CopyOnWriteArrayList<>();
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        private final CompletableFuture<Void> stopped = new CompletableFuture<>();

        private FakeServer(ServerSocket socket, Script script, boolean reads) {
            this.socket = socket;
            this.script = script;
            this.reads = reads;
        }

        static FakeServer start(Script script) throws IOException {
            return start(script, true);
        }

        static FakeServer start(Script script, boolean reads) throws IOException {
            return start(script, reads, ServerSocketFactory.getDefault());
        }

        static FakeServer start(Script script, boolean reads, ServerSocketFactory factory) throws IOException {
            FakeServer server =
                    new FakeServer(factory.createServerSocket(0, 50, InetAddress.getLoopbackAddress()), script, reads);
            Thread.ofVirtual().start(server::accept);
            return server;
        }

        int port() {
            return socket.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        /** Whether a server that does not read has read the one byte it reads (over TLS: after the handshake). */
        boolean readFirstByte() {
            return readFirstByte.get();
        }

        int closedByServer() {
            return closedByServer.get();
        }

        int closedByClient() {
            return closedByClient.get();
        }

        List<Request> requests() {
            return received;
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket connection = socket.accept();
                    connections.incrementAndGet();
                    open.add(connection);
                    Thread.ofVirtual().start(() -> serve(connection));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket connection) {
            try (connection) {
                if (!reads) {
                    connection.getInputStream().read(new byte[1]); // then reads nothing more
                    readFirstByte.set(true);
                    stopped.get();
                }
                BufferedInputStream in = new BufferedInputStream(connection.getInputStream());
                OutputStream out = connection.getOutputStream();
                while (true) {
                    Request head = read(in);
                    if (head == null) {
                        closedByClient.incrementAndGet();
                        return;
                    }
                    Reply reply = script.answer(head);
                    if (!reply.beforeBody()) {
                        int length = Integer.parseInt(head.headers().getOrDefault("content-length", "0"));
                        received.add(new Request(
                                head.number(), head.method(), head.target(), head.headers(), in.readNBytes(length)));
                    }
                    if (reply == SILENCE) {
                        stopped.get();
                    }
                    out.write(reply.bytes()); // nothing, for CLOSE
                    out.flush();
                    if (reply.thenSilent()) {
                        stopped.get();
                    }
                    if (reply.thenClose()) {
                        closedByServer.incrementAndGet();
                        return;
                    }
                }
            } catch (Exception e) {
                // the connection ends
            }
        }

        private Request read(BufferedInputStream in) throws IOException {
            String requestLine = line(in);
            if (requestLine == null) {
                return null;
            }
            Map<String, String> headers = new java.util.LinkedHashMap<>();
            for (String line; !(line = line(in)).isEmpty(); ) {
                int colon = line.indexOf(':');
                headers.put(
                        line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        line.substring(colon + 1).trim());
            }
            String[] parts = requestLine.split(" ");
            return new Request(requests.incrementAndGet(), parts[0], parts[1], headers, null); // the head only
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    return null;
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            stopped.complete(null);
            socket.close();
            for (Socket connection : open) {
                connection.close();
            }
        }
    }
}
