package dev.transcriber.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
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
 * The blocking HTTP/1.1 client against a server on a raw socket that answers as each test scripts it: connections
 * kept and given up, the answer's three ways of ending its body, timeouts and cancels, streamed bodies, TLS with the
 * host name checked, and HTTP proxies (a tunnel for TLS).
 */
class HttpConnectionsTest {

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
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/a")).isEqualTo("hello /a");
        assertThat(connections.idleConnections()).isEqualTo(1);
        assertThat(get(connections, "/b")).isEqualTo("hello /b");

        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aPutSendsItsHeadersAndBodyAsGiven() throws Exception {
        server = FakeServer.start(request -> answer(200, ""));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        byte[] body = "0123456789".repeat(1000).getBytes(StandardCharsets.UTF_8);

        try (HttpConnections.Answer answer = connections
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
    void aKeptConnectionTheServerClosedIsReplacedByANewOne() throws Exception {
        HttpConnections connections = keptConnectionTheServerClosed();

        assertThat(get(connections, "/2")).isEqualTo("next");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void aNewConnectionThatFailsIsNotTriedAgain() throws Exception {
        server = FakeServer.start(request -> CLOSE);
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> get(connections, "/x")).isInstanceOf(EOFException.class);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aReadThatTimesOutIsNotRepeatedOnAnotherConnection() throws Exception {
        server = FakeServer.start(request -> request.number() == 1 ? answer(200, "first") : SILENCE);
        HttpConnections connections = connections(Duration.ofMillis(300));
        assertThat(get(connections, "/1")).isEqualTo("first");

        assertThatThrownBy(() -> get(connections, "/2")).isInstanceOf(SocketTimeoutException.class);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aChunkedBodyIsDecodedAndItsConnectionKept() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: ignored\r\n\r\n";
        server = FakeServer.start(request -> raw(chunked, false));
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/1")).isEqualTo("hello world!");
        assertThat(get(connections, "/2")).isEqualTo("hello world!");
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aBodyWithoutLengthEndsWithItsConnectionWhichIsNotKept() throws Exception {
        server = FakeServer.start(request ->
                request.number() == 1 ? raw("HTTP/1.1 200 OK\r\n\r\nto the end", true) : answer(200, "next"));
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/1")).isEqualTo("to the end");
        assertThat(connections.idleConnections()).isZero();
        assertThat(get(connections, "/2")).isEqualTo("next");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void anAnswerSayingCloseIsNotKept() throws Exception {
        server = FakeServer.start(
                request -> raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", false));
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThat(get(connections, "/1")).isEqualTo("ok");
        assertThat(connections.idleConnections()).isZero();
        assertThat(get(connections, "/2")).isEqualTo("ok");
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void aBodyClosedEarlyKeepsItsConnectionOnlyWhenLittleIsLeft() throws Exception {
        server = FakeServer.start(request ->
                answer(200, "x".repeat(request.target().equals("/big") ? 1 << 20 : 100)));
        HttpConnections connections = connections(Duration.ofSeconds(5));

        try (HttpConnections.Answer answer = send(connections, "/small")) {
            assertThat(answer.body().read()).isEqualTo('x');
        }
        assertThat(connections.idleConnections()).isEqualTo(1);
        try (HttpConnections.Answer answer = send(connections, "/big")) {
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
        HttpConnections connections = connections(Duration.ofSeconds(60));
        HttpConnections.Answer answer = send(connections, "/");
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
        HttpConnections connections = connections(Duration.ofSeconds(5));

        try (HttpConnections.Answer answer = send(connections, "/1")) {
            assertThatThrownBy(() -> answer.body().readAllBytes()).isInstanceOf(EOFException.class);
        }
        assertThat(connections.idleConnections()).isZero();
    }

    @Test
    void aConnectionIdleTooLongIsClosedInsteadOfUsed() throws Exception {
        server = FakeServer.start(request -> answer(200, "ok"));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        get(connections, "/1");

        clock.addAndGet(HttpConnections.KEEP_IDLE.toNanos() + 1);
        get(connections, "/2");

        assertThat(server.connections()).isEqualTo(2);
        await().until(() -> server.closedByClient() == 1);
    }

    @Test
    void aHeaderThatWouldSplitTheRequestIsRefused() throws Exception {
        server = FakeServer.start(request -> answer(200, "ok"));
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> connections
                        .exchange("http", "127.0.0.1", server.port())
                        .send("GET", "/", List.of(Map.entry("x-a", "b\r\nx-injected: c")), (byte[]) null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(server.connections()).isZero();
    }

    @Test
    void aCancelEndsAWriteTheServerDoesNotRead() throws Exception {
        server = FakeServer.start(request -> answer(200, "never read"), false);
        HttpConnections connections = connections(Duration.ofSeconds(30));
        HttpConnections.Exchange exchange = connections.exchange("http", "127.0.0.1", server.port());
        CompletableFuture<Void> put = putOnItsOwnThread(exchange);
        await().until(() -> server.connections() == 1);

        exchange.cancel();

        await().atMost(Duration.ofSeconds(10)).until(put::isDone);
        assertThatThrownBy(put::join).hasCauseInstanceOf(IOException.class); // not answered: failed
        assertThat(exchange.isCancelled()).isTrue();
    }

    @Test
    void aCancelOverTlsEndsAWriteTheServerDoesNotRead(@TempDir Path dir) throws Exception {
        SSLContext context = selfSigned(dir);
        server = FakeServer.start(request -> answer(200, "never read"), false, context.getServerSocketFactory());
        HttpConnections connections = new HttpConnections(
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                context.getSocketFactory(),
                clock::get,
                InetAddress::getAllByName);
        HttpConnections.Exchange exchange = connections.exchange("https", "localhost", server.port());
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
        HttpConnections connections = connections(Duration.ofSeconds(5));
        HttpConnections.Exchange put = connections.exchange("http", "127.0.0.1", server.port());
        try (HttpConnections.Answer answer = put.send("PUT", "/a", NO_HEADERS, new byte[10])) {
            assertThat(answer.status()).isEqualTo(200);
        }

        put.cancel(); // a deadline that fired just as the answer came

        assertThat(get(connections, "/b")).isEmpty();
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void anAnswerSentBeforeTheServerReadTheBodyIsTheAnswer() throws Exception {
        server = FakeServer.start(request ->
                Reply.refusingEarly("HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\ndenied."));
        HttpConnections connections = connections(Duration.ofSeconds(5));

        try (HttpConnections.Answer answer = connections
                .exchange("http", "127.0.0.1", server.port())
                .send("PUT", "/", NO_HEADERS, new byte[64 << 20])) {
            assertThat(answer.status()).isEqualTo(403);
            assertThat(answer.bodyText(100)).isEqualTo("denied.");
        }
        assertThat(connections.idleConnections()).isZero();
    }

    @Test
    void aSuccessSentBeforeTheServerReadTheBodyIsNoAnswer() throws Exception {
        server = FakeServer.start(
                request -> Reply.refusingEarly("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        HttpConnections connections = connections(Duration.ofSeconds(5));

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
        HttpConnections connections = connections(Duration.ofSeconds(5));
        assertThat(get(connections, "/1")).isEqualTo("first");

        try (HttpConnections.Answer answer = connections
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
        HttpConnections connections = connections(Duration.ofSeconds(5));
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
        HttpConnections connections = connections(Duration.ofSeconds(5));
        HttpConnections.Answer answer = send(connections, "/");
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
        HttpConnections connections = new HttpConnections(
                Duration.ofSeconds(5),
                Duration.ofSeconds(5),
                (SSLSocketFactory) SSLSocketFactory.getDefault(),
                clock::get,
                host -> new InetAddress[] {refusing, listening});

        try (HttpConnections.Answer answer =
                connections.exchange("http", "store", server.port()).send("GET", "/", NO_HEADERS, (byte[]) null)) {
            assertThat(answer.bodyText(100)).isEqualTo("second address");
        }
    }

    @Test
    void aConnectionWhoseAnswerEndsAfterCloseIsNotKept() throws Exception {
        server = FakeServer.start(request -> answer(200, "late"));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        HttpConnections.Answer answer = send(connections, "/");

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
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> get(connections, "/")).isInstanceOf(java.net.ProtocolException.class);
    }

    @Test
    void aStatusLineOfAnotherShapeIsRefused() throws Exception {
        server = FakeServer.start(request -> raw("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", false));
        HttpConnections connections = connections(Duration.ofSeconds(5));

        assertThatThrownBy(() -> get(connections, "/")).isInstanceOf(java.net.ProtocolException.class);
    }

    @Test
    void overTlsTheCertificateMustNameTheHostAsked(@TempDir Path dir) throws Exception {
        SSLContext context = selfSigned(dir);
        server = FakeServer.start(request -> answer(200, "secure"), true, context.getServerSocketFactory());
        HttpConnections connections = new HttpConnections(
                Duration.ofSeconds(5),
                Duration.ofSeconds(5),
                context.getSocketFactory(),
                clock::get,
                InetAddress::getAllByName);

        try (HttpConnections.Answer answer =
                connections.exchange("https", "localhost", server.port()).send("GET", "/", NO_HEADERS, (byte[]) null)) {
            assertThat(answer.bodyText(100)).isEqualTo("secure");
        }
        assertThatThrownBy(() -> connections
                        .exchange("https", "127.0.0.1", server.port())
                        .send("GET", "/", NO_HEADERS, (byte[]) null))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aStreamedBodyIsSentWholeWithItsLengthAndTheAnswersHeadersAreRead() throws Exception {
        server = FakeServer.start(request -> raw(
                "HTTP/1.1 429 X\r\nRetry-After: 3\r\nX-Reset: 1s\r\nX-Reset: 2s\r\nContent-Length: 4\r\n\r\nbusy",
                false));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        byte[] audio = "0123456789".repeat(10_000).getBytes(StandardCharsets.UTF_8);

        try (HttpConnections.Answer answer = postStreamed(connections, "/v1/audio", audio)) {
            assertThat(answer.status()).isEqualTo(429);
            assertThat(answer.header("RETRY-AFTER")).contains("3");
            assertThat(answer.header("x-reset")).contains("1s, 2s");
            assertThat(answer.firstValue("X-Reset")).contains("1s");
            assertThat(answer.bodyText(100)).isEqualTo("busy");
        }

        Request received = server.requests().getFirst();
        assertThat(received.headers()).containsEntry("content-length", String.valueOf(audio.length));
        assertThat(received.body()).isEqualTo(audio);
    }

    @Test
    void aStreamedBodyIsNotSentAgainWhenAKeptConnectionTheServerJustClosedFails() throws Exception {
        HttpConnections connections = keptConnectionTheServerClosed();
        byte[] audio = new byte[1000];

        assertThatThrownBy(() -> postStreamed(connections, "/2", audio)).isInstanceOf(IOException.class);
        assertThat(server.connections()).isEqualTo(1); // its bytes were taken once: the caller decides what next
    }

    @Test
    void aKeptConnectionIdleForMoreThanASecondIsCheckedBeforeAStreamedBodyGoesIntoIt() throws Exception {
        HttpConnections connections = keptConnectionTheServerClosed();
        clock.addAndGet(HttpConnections.CHECK_AFTER.toNanos() + 1); // as an idle timeout of a few seconds would
        byte[] audio = new byte[1000];

        try (HttpConnections.Answer answer = postStreamed(connections, "/2", audio)) {
            assertThat(answer.bodyText(100)).isEqualTo("next");
        }
        assertThat(server.connections()).isEqualTo(2);
        assertThat(server.requests().getLast().body()).isEqualTo(audio);
    }

    @Test
    void aKeptConnectionStillOpenIsUsedAfterItsCheck() throws Exception {
        server = FakeServer.start(request -> answer(200, "hello " + request.target()));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        assertThat(get(connections, "/1")).isEqualTo("hello /1");
        clock.addAndGet(HttpConnections.CHECK_AFTER.toNanos() + 1);
        byte[] audio = new byte[1000];

        try (HttpConnections.Answer answer = postStreamed(connections, "/2", audio)) {
            assertThat(answer.bodyText(100)).isEqualTo("hello /2");
        }
        assertThat(server.connections()).isEqualTo(1);
        assertThat(get(connections, "/3"))
                .as("the check left the connection's timeout as it was")
                .isEqualTo("hello /3");
    }

    @Test
    void anEarlyRefusalOnAKeptConnectionIsTheAnswerForAStreamedBody() throws Exception {
        server = FakeServer.start(request -> request.number() == 1
                ? answer(200, "first")
                : Reply.refusingEarly("HTTP/1.1 413 Too Large\r\nContent-Length: 8\r\n\r\ntoo big!"));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        assertThat(get(connections, "/1")).isEqualTo("first");
        long size = 64L << 20; // more than the sockets' buffers hold: the write fails when the server closes
        InputStream zeros = new InputStream() {
            private long left = size;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : 0;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (left == 0) {
                    return -1;
                }
                int n = (int) Math.min(length, left);
                java.util.Arrays.fill(buffer, offset, offset + n, (byte) 0);
                left -= n;
                return n;
            }
        };

        try (HttpConnections.Answer answer = connections
                .exchange("http", "127.0.0.1", server.port())
                .send("POST", "/2", NO_HEADERS, streamed(zeros, size))) {
            assertThat(answer.status()).isEqualTo(413);
            assertThat(answer.bodyText(100)).isEqualTo("too big!");
        }
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void aStreamedBodyWhoseSourceFailsEndsTheExchangeAtOnceWithTheSourcesFailure() throws Exception {
        server = FakeServer.start(request -> answer(200, "never read"));
        // a read timeout far beyond the test's own: waiting for an answer the server cannot give would show
        HttpConnections connections = connections(Duration.ofMinutes(2));
        IOException broken = new IOException("the store's stream broke");
        InputStream failing = new InputStream() {
            private int given;

            @Override
            public int read() throws IOException {
                if (given++ >= 1000) {
                    throw broken;
                }
                return 'a';
            }
        };

        assertTimeoutPreemptively(
                Duration.ofSeconds(30),
                () -> assertThatThrownBy(() -> connections
                                .exchange("http", "127.0.0.1", server.port())
                                .send("POST", "/", NO_HEADERS, streamed(failing, 100_000)))
                        .isSameAs(broken));
        assertThat(connections.idleConnections()).isZero();
    }

    @Test
    void aStreamedBodyThatCanBeWrittenAgainIsSentAgainOnANewConnection() throws Exception {
        HttpConnections connections = keptConnectionTheServerClosed();
        byte[] audio = "0123456789".repeat(100).getBytes(StandardCharsets.UTF_8);
        AtomicInteger written = new AtomicInteger();
        HttpConnections.Payload again = new HttpConnections.Payload() {
            @Override
            public long length() {
                return audio.length;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                written.incrementAndGet();
                out.write(audio);
            }

            @Override
            public boolean replayable() {
                return true;
            }
        };

        try (HttpConnections.Answer answer =
                connections.exchange("http", "127.0.0.1", server.port()).send("POST", "/2", NO_HEADERS, again)) {
            assertThat(answer.bodyText(100)).isEqualTo("next");
        }
        assertThat(written).hasValue(2);
        assertThat(server.connections()).isEqualTo(2);
        assertThat(server.requests().getLast().body()).isEqualTo(audio);
    }

    @Test
    void aBodyLongerOrShorterThanItsLengthIsRefusedAndItsConnectionNotKept() throws Exception {
        server = FakeServer.start(request -> answer(200, "ok"));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        byte[] audio = new byte[1000];

        assertThatThrownBy(() -> connections
                        .exchange("http", "127.0.0.1", server.port())
                        .send("POST", "/long", NO_HEADERS, streamed(new ByteArrayInputStream(audio), 999)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("longer than its 999 bytes");
        assertThatThrownBy(() -> connections
                        .exchange("http", "127.0.0.1", server.port())
                        .send("POST", "/short", NO_HEADERS, streamed(new ByteArrayInputStream(audio), 1001)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("gave 1000 of its 1001 bytes");
        assertThat(connections.idleConnections()).isZero();
        await().until(() -> server.connections() == 2); // the second on a connection of its own
    }

    @Test
    void throughAnHttpProxyAPlainRequestNamesTheWholeUri() throws Exception {
        server = FakeServer.start(request -> answer(200, "via proxy"));
        HttpConnections connections = proxied(server.port(), (SSLSocketFactory) SSLSocketFactory.getDefault());

        try (HttpConnections.Answer answer = connections
                .exchange("http", "upstream.invalid", 8080)
                .send("GET", "/v1/models?x=1", List.of(Map.entry("Host", "upstream.invalid:8080")), (byte[]) null)) {
            assertThat(answer.bodyText(100)).isEqualTo("via proxy");
        }
        assertThat(server.requests().getFirst().target()).isEqualTo("http://upstream.invalid:8080/v1/models?x=1");
    }

    @Test
    void throughAnHttpProxyTlsGoesThroughATunnelToTheHostAsked(@TempDir Path dir) throws Exception {
        SSLContext context = selfSigned(dir);
        server = FakeServer.start(request -> answer(200, "tunnelled"), true, context.getServerSocketFactory());
        try (TunnelProxy proxy = TunnelProxy.start(server.port(), "HTTP/1.1 200 Connection established")) {
            HttpConnections connections = proxied(proxy.port(), context.getSocketFactory());

            try (HttpConnections.Answer answer =
                    connections.exchange("https", "localhost", 443).send("GET", "/", NO_HEADERS, (byte[]) null)) {
                assertThat(answer.bodyText(100)).isEqualTo("tunnelled");
            }
            assertThat(proxy.asked()).containsExactly("CONNECT localhost:443 HTTP/1.1");
        }
    }

    @Test
    void aProxyAskingForCredentialsRefusesTheCall() throws Exception {
        try (TunnelProxy proxy = TunnelProxy.start(0, "HTTP/1.1 407 Proxy Authentication Required")) {
            HttpConnections connections = proxied(proxy.port(), (SSLSocketFactory) SSLSocketFactory.getDefault());

            assertThatThrownBy(() -> connections
                            .exchange("https", "upstream.invalid", 443)
                            .send("GET", "/", NO_HEADERS, (byte[]) null))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("asks for credentials");
        }
    }

    /**
     * Connections with one kept connection that the server, which answers "first" and then "next", has closed since
     * its first answer (without saying so).
     */
    private HttpConnections keptConnectionTheServerClosed() throws Exception {
        server = FakeServer.start(
                request -> request.number() == 1 ? answerThenClose(200, "first") : answer(200, "next"));
        HttpConnections connections = connections(Duration.ofSeconds(5));
        assertThat(get(connections, "/1")).isEqualTo("first");
        await().until(() -> server.closedByServer() == 1);
        return connections;
    }

    /** A body read from {@code in} as it is sent: it cannot be sent again. */
    private static HttpConnections.Payload streamed(InputStream in, long length) {
        return new HttpConnections.Payload() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n); // all of it, whatever its length says
                }
            }
        };
    }

    /** Every call through the HTTP proxy on this machine's {@code port}; only the proxy's address is looked up. */
    private HttpConnections proxied(int port, SSLSocketFactory tls) {
        ProxySelector proxies = ProxySelector.of(new InetSocketAddress("127.0.0.1", port));
        return new HttpConnections(
                Duration.ofSeconds(5),
                Duration.ofSeconds(5),
                tls,
                clock::get,
                host -> {
                    if (!host.equals("127.0.0.1")) {
                        throw new UnknownHostException(host + ": only the proxy is looked up");
                    }
                    return InetAddress.getAllByName(host);
                },
                proxies);
    }

    /**
     * A proxy that answers a {@code CONNECT} with {@code statusLine} and, when that is a 200, joins the connection to
     * the port {@code target} on this machine, whatever host was asked; it keeps the request lines it was sent.
     */
    private static final class TunnelProxy implements AutoCloseable {

        private final ServerSocket socket;
        private final List<String> asked = new CopyOnWriteArrayList<>();

        private TunnelProxy(ServerSocket socket) {
            this.socket = socket;
        }

        static TunnelProxy start(int target, String statusLine) throws IOException {
            TunnelProxy proxy = new TunnelProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
            Thread.ofVirtual().start(() -> proxy.accept(target, statusLine));
            return proxy;
        }

        int port() {
            return socket.getLocalPort();
        }

        List<String> asked() {
            return asked;
        }

        private void accept(int target, String statusLine) {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    Thread.ofVirtual().start(() -> tunnel(client, target, statusLine));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void tunnel(Socket client, int target, String statusLine) {
            try (client) {
                InputStream in = client.getInputStream();
                asked.add(FakeServer.line(in));
                for (String line = FakeServer.line(in); line != null && !line.isEmpty(); line = FakeServer.line(in)) {
                    // the request's headers
                }
                client.getOutputStream()
                        .write((statusLine + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                if (!statusLine.contains(" 200 ")) {
                    return;
                }
                try (Socket server = new Socket(InetAddress.getLoopbackAddress(), target)) {
                    Thread up = Thread.ofVirtual().start(() -> copy(in, server));
                    copy(server.getInputStream(), client);
                    up.join();
                }
            } catch (IOException | InterruptedException e) {
                // the tunnel ends
            }
        }

        private static void copy(InputStream from, Socket to) {
            try {
                from.transferTo(to.getOutputStream());
                to.shutdownOutput();
            } catch (IOException e) {
                // one side closed
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * A PUT of 64 MiB, more than the sockets' buffers hold, on a thread of its own (not the common pool: one thread on
     * two cores, which a test's other task would wait behind); it fails, or is answered.
     */
    private static CompletableFuture<Void> putOnItsOwnThread(HttpConnections.Exchange exchange) {
        return putOnItsOwnThread(exchange, new Thread[1]);
    }

    /** The same, its thread put in {@code thread[0]}. */
    private static CompletableFuture<Void> putOnItsOwnThread(HttpConnections.Exchange exchange, Thread[] thread) {
        CompletableFuture<Void> put = new CompletableFuture<>();
        thread[0] = Thread.ofVirtual().unstarted(() -> {
            try (HttpConnections.Answer answer = exchange.send("PUT", "/", NO_HEADERS, new byte[64 << 20])) {
                put.completeExceptionally(new AssertionError("answered " + answer.status()));
            } catch (IOException | RuntimeException e) {
                put.completeExceptionally(e);
            }
        });
        thread[0].start();
        return put;
    }

    private HttpConnections connections(Duration readTimeout) {
        return new HttpConnections(
                Duration.ofSeconds(5),
                readTimeout,
                (SSLSocketFactory) SSLSocketFactory.getDefault(),
                clock::get,
                InetAddress::getAllByName);
    }

    private HttpConnections.Answer send(HttpConnections connections, String target) throws IOException {
        return connections.exchange("http", "127.0.0.1", server.port()).send("GET", target, NO_HEADERS, (byte[]) null);
    }

    /** A POST of {@code body} streamed once, as the upstream client sends audio. */
    private HttpConnections.Answer postStreamed(HttpConnections connections, String target, byte[] body)
            throws IOException {
        return connections
                .exchange("http", "127.0.0.1", server.port())
                .send("POST", target, NO_HEADERS, streamed(new ByteArrayInputStream(body), body.length));
    }

    private String get(HttpConnections connections, String target) throws IOException {
        try (HttpConnections.Answer answer = send(connections, target)) {
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
                        connection.close(); // before it is counted: a test that waits for the count sees it closed
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
