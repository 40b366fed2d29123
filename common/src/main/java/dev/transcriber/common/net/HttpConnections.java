package dev.transcriber.common.net;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A blocking HTTP/1.1 client for the calls on every job's path: the object store's one-part PUT and GET, and the
 * upstream's transcription call. It runs on the caller's own thread from start to end: the request is written and the
 * answer read on the caller's socket, and a connection that finished its exchange is kept for the next one. It has no
 * thread and no timer of its own: OkHttp, which the MinIO client uses, schedules its connection pool's clean-up on its
 * one global task runner at the end of every call (one lock that every call of the process takes, and a thread woken),
 * measured as the largest library in the sync path's profile at 50 concurrent; the JDK's HTTP client hands every
 * exchange between the caller, its selector thread and a task per step. Here kept connections are a last-in,
 * first-out deque per endpoint; one idle for longer than {@link #KEEP_IDLE}, or with bytes nobody asked for, is closed
 * instead of used, and a kept connection that fails before any byte of its answer arrived (the server closed it
 * meanwhile) is replaced by the next one or a new one, as OkHttp does, when the request's body can be sent again (no
 * body, or one in memory); a streamed body cannot, so a kept connection idle for longer than {@link #CHECK_AFTER} is
 * checked before one goes into it, and a failure is the caller's. On a new connection, or for a body sent once, an
 * answer the server sent before it stopped reading the body (a refusal) is the answer.
 *
 * <p>Reads wait at most {@code readTimeout} for a byte (the socket's own timeout); a write has no timeout, so a caller
 * that must bound one ends the exchange with {@link Exchange#cancel()} from another thread, which closes the plain
 * socket (under TLS too). TLS is the JDK's, with the host name checked against the certificate as HTTPS does. A
 * host's addresses are tried in turn. Without a proxy selector the server is reached directly; with one, the first
 * HTTP proxy it names for a URI is used (a tunnel by {@code CONNECT} for {@code https}, the absolute URI as the
 * request's target for {@code http}), as the JDK's HTTP client does with the JVM's {@code https.proxyHost} and
 * {@code http.proxyHost}; a proxy that asks for credentials refuses the call.
 */
public final class HttpConnections implements AutoCloseable {

    /** How long a connection may wait unused before it is closed instead of used again (below common servers' 30 s). */
    static final Duration KEEP_IDLE = Duration.ofSeconds(20);

    /**
     * A kept connection unused for longer than this is checked before a body that can be sent only once goes into it
     * (a read of at most a millisecond): servers close idle connections after a few seconds (uvicorn after 5), and
     * such a body cannot be sent again on another connection when the write or the answer fails.
     */
    static final Duration CHECK_AFTER = Duration.ofSeconds(1);

    /** The most connections kept unused per endpoint; more are closed when their exchange ends. */
    private static final int MAX_IDLE = 64;

    private static final int MAX_HEAD_BYTES = 64 * 1024;

    /** A rest of an answer at most this long is read to its end so the connection can be kept. */
    private static final long DRAIN_BYTES = 8 * 1024;

    /**
     * Ends an exchange that outlasts its deadline ({@link Exchange#cancelAfter}): a write has no timeout of its own
     * (a server that stopped reading). One daemon thread for every exchange of the process, woken when a deadline is
     * set with nothing else due sooner; OkHttp's call timeout would keep it in Okio's queue, under Okio's one lock.
     */
    private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

    /** What a line of a head that is not an answer's first needs done at its first byte: nothing. */
    private static final Runnable NOTHING = () -> {};

    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final SSLSocketFactory tls;
    private final LongSupplier nanoTime;
    private final Resolver resolver;
    private final ProxySelector proxies;
    private final Map<String, Deque<Connection>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * {@code nanoTime}: the clock idle connections are timed by; {@code resolver}: a host's addresses, tried in turn
     * until one takes the connection ({@link System#nanoTime()} and the JDK's resolver but in tests); {@code
     * proxies}: null to reach every server directly.
     */
    HttpConnections(
            Duration connectTimeout,
            Duration readTimeout,
            SSLSocketFactory tls,
            LongSupplier nanoTime,
            Resolver resolver,
            ProxySelector proxies) {
        this.connectTimeoutMillis = Math.toIntExact(connectTimeout.toMillis());
        this.readTimeoutMillis = Math.toIntExact(readTimeout.toMillis());
        this.tls = tls;
        this.nanoTime = nanoTime;
        this.resolver = resolver;
        this.proxies = proxies;
    }

    HttpConnections(
            Duration connectTimeout,
            Duration readTimeout,
            SSLSocketFactory tls,
            LongSupplier nanoTime,
            Resolver resolver) {
        this(connectTimeout, readTimeout, tls, nanoTime, resolver, null);
    }

    /** Reaches every server directly, with the JVM's TLS settings. */
    public HttpConnections(Duration connectTimeout, Duration readTimeout) {
        this(connectTimeout, readTimeout, (ProxySelector) null);
    }

    /** Through the proxies {@code proxies} names (null: directly), with the JVM's TLS settings. */
    public HttpConnections(Duration connectTimeout, Duration readTimeout, ProxySelector proxies) {
        this(
                connectTimeout,
                readTimeout,
                (SSLSocketFactory) SSLSocketFactory.getDefault(),
                System::nanoTime,
                InetAddress::getAllByName,
                proxies);
    }

    /** A new exchange with {@code scheme://host:port}; {@link Exchange#send} makes it. */
    public Exchange exchange(String scheme, String host, int port) {
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("not an http or https endpoint: " + scheme);
        }
        return new Exchange(scheme.equals("https"), host, port);
    }

    private static ScheduledThreadPoolExecutor deadlines() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(
                1,
                Thread.ofPlatform()
                        .name("http-deadlines")
                        .daemon(true)
                        .inheritInheritableThreadLocals(false)
                        .factory());
        timer.setRemoveOnCancelPolicy(true); // an exchange that ended takes its deadline out at once
        return timer;
    }

    /** How many connections wait unused, for every endpoint together. */
    int idleConnections() {
        return idle.values().stream().mapToInt(Deque::size).sum();
    }

    /** Closes every connection kept unused; one in an exchange now closes when the exchange ends. */
    @Override
    public void close() {
        closed = true;
        for (Deque<Connection> kept : idle.values()) {
            for (Connection connection; (connection = kept.pollFirst()) != null; ) {
                connection.abort();
            }
        }
    }

    /**
     * A request's body: its length, which is sent as its {@code Content-Length}, and its bytes, written by {@link
     * #writeTo}. One in memory ({@link #of}) can be sent again on another connection; a streamed one cannot.
     */
    public interface Payload {

        long length();

        /** Writes exactly {@link #length()} bytes. */
        void writeTo(OutputStream out) throws IOException;

        /** Whether {@link #writeTo} may be called again, for a kept connection the server had closed. */
        default boolean replayable() {
            return false;
        }

        /** {@code bytes}, which may be sent again. */
        static Payload of(byte[] bytes) {
            return new Payload() {
                @Override
                public long length() {
                    return bytes.length;
                }

                @Override
                public void writeTo(OutputStream out) throws IOException {
                    out.write(bytes);
                }

                @Override
                public boolean replayable() {
                    return true;
                }
            };
        }
    }

    /** One request and its answer, on a kept connection or a new one. */
    public final class Exchange {

        private final boolean secure;
        private final String host;
        private final int port;
        /** {@code scheme://host:port}. */
        private final String origin;
        /** The HTTP proxy this exchange goes through, or null. */
        private final InetSocketAddress proxy;

        /** The key of its kept connections: the origin, and the proxy if any. */
        private final String endpoint;
        /**
         * The plain socket this exchange uses now (being connected, or under its connection), until its answer ends;
         * {@link #cancel()} takes it and closes it, and a connection goes back to the deque only if it is still here.
         */
        private final AtomicReference<Socket> using = new AtomicReference<>();

        private volatile boolean cancelled;

        private Exchange(boolean secure, String host, int port) {
            this.secure = secure;
            this.host = host;
            this.port = port;
            this.origin = (secure ? "https://" : "http://") + authority(host, port);
            this.proxy = proxyFor(origin);
            this.endpoint = proxy == null ? origin : origin + " via " + proxy.getHostString() + ":" + proxy.getPort();
        }

        /**
         * Cancels this exchange when {@code timeout} has passed, unless the returned future is cancelled first (which
         * the caller does when the exchange ends).
         */
        public ScheduledFuture<?> cancelAfter(Duration timeout) {
            return DEADLINES.schedule(this::cancel, timeout.toNanos(), NANOSECONDS);
        }

        /** {@link #send(String, String, Iterable, Payload)} with {@code body} in memory (null: none). */
        public Answer send(String method, String target, Iterable<Map.Entry<String, String>> headers, byte[] body)
                throws IOException {
            return send(method, target, headers, body == null ? null : Payload.of(body));
        }

        /**
         * Sends {@code method target} with {@code headers} (each a name and a value, written as given) and {@code
         * body} (null: none; its {@code Content-Length} is added for one), and reads the answer's status and headers.
         * The answer's body is read from the returned {@link Answer}, which must be closed. An answer the server sent
         * before it stopped reading the body (an early refusal) is returned as the answer.
         */
        public Answer send(String method, String target, Iterable<Map.Entry<String, String>> headers, Payload body)
                throws IOException {
            byte[] head = head(method, proxy != null && !secure ? origin + target : target, headers, body);
            boolean once = body != null && !body.replayable();
            Deque<Connection> kept = idle.computeIfAbsent(endpoint, any -> new ConcurrentLinkedDeque<>());
            while (true) {
                Connection connection = kept.pollFirst();
                boolean reused = connection != null;
                if (reused && (connection.idleFor() > KEEP_IDLE.toNanos() || connection.hasUnread())) {
                    connection.abort(); // too old, or the server said something meanwhile (a 408 before it closed)
                    continue;
                }
                if (reused && once && connection.idleFor() > CHECK_AFTER.toNanos() && !connection.stillOpen()) {
                    connection.abort(); // closed while it waited: a body sent once must not go into it
                    continue;
                }
                if (reused) {
                    use(connection.raw);
                } else {
                    connection = connect();
                }
                try {
                    try {
                        connection.write(head, body);
                    } catch (PayloadFailure e) {
                        connection.abort();
                        throw e.source();
                    } catch (IOException e) {
                        // on a kept connection an early answer may be the server giving the connection up (a 408),
                        // and the request is sent again instead; a body sent once has no again
                        Answer early = reused && !once ? null : earlyAnswer(connection, method, e);
                        if (early != null) {
                            return early;
                        }
                        throw e;
                    }
                    return connection.readAnswer(method, this, kept, true);
                } catch (RuntimeException | Error e) {
                    connection.abort(); // a body's source that failed unchecked, say
                    throw e;
                } catch (IOException e) {
                    connection.abort();
                    if (cancelled) {
                        throw new IOException("cancelled", e);
                    }
                    if (!reused || connection.answerStarted || e instanceof SocketTimeoutException || once) {
                        throw e;
                    }
                    // a kept connection the server had closed: try the next one, or a new one
                }
            }
        }

        /**
         * The refusal the server sent before the write failed, if one can be read; never kept. Only on a new
         * connection: on a kept one it may be what the server said when it gave the connection up (a 408), and the
         * request is sent again instead. An answer of success is no answer: the body was not sent whole.
         */
        private Answer earlyAnswer(Connection connection, String method, IOException writeFailure) {
            if (cancelled) {
                return null;
            }
            try {
                Answer answer = connection.readAnswer(method, this, null, false);
                if (answer.isSuccessful()) {
                    answer.close();
                    return null;
                }
                return answer;
            } catch (IOException e) {
                writeFailure.addSuppressed(e);
                return null;
            }
        }

        /** Ends the exchange now, from any thread: its connection is closed, and {@link #send} fails. */
        public void cancel() {
            cancelled = true;
            Socket socket = using.getAndSet(null);
            if (socket != null) {
                closeQuietly(socket);
            }
        }

        public boolean isCancelled() {
            return cancelled;
        }

        /** Takes {@code socket} as the one a cancel closes; closes it at once if the exchange was cancelled. */
        private void use(Socket socket) throws IOException {
            using.set(socket);
            if (cancelled && using.compareAndSet(socket, null)) {
                closeQuietly(socket);
                throw new IOException("cancelled");
            }
        }

        /** The answer ended: whether this exchange still had {@code socket} (a cancel did not take it). */
        private boolean release(Socket socket) {
            return using.compareAndSet(socket, null);
        }

        private Connection connect() throws IOException {
            Socket socket = proxy == null
                    ? connected(resolver.resolve(host), port)
                    : connected(resolver.resolve(proxy.getHostString()), proxy.getPort());
            try {
                if (proxy != null && secure) {
                    tunnel(socket);
                }
                return secure ? new Connection(socket, handshake(socket)) : new Connection(socket, socket);
            } catch (IOException | RuntimeException e) {
                closeQuietly(socket);
                if (cancelled) {
                    throw new IOException("cancelled", e);
                }
                throw e;
            }
        }

        /**
         * Asks the proxy on {@code socket} for a tunnel to this exchange's server ({@code CONNECT}); TLS then goes
         * through it. The proxy's answer is read byte by byte, so nothing of what follows it is taken.
         */
        private void tunnel(Socket socket) throws IOException {
            String authority = authority(host, port);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\nUser-Agent: transcriber\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            // unbuffered, byte by byte: nothing of what follows the proxy's answer is taken
            InputStream in = socket.getInputStream();
            String statusLine = headLine(in, NOTHING);
            int status = status(statusLine);
            headerLines(in);
            if (status == 407) {
                throw new IOException(
                        "the proxy " + proxy.getHostString() + " asks for credentials, which are not sent");
            }
            if (status < 200 || status > 299) {
                throw new IOException("the proxy " + proxy.getHostString() + " refused a tunnel to " + authority + ": "
                        + abbreviate(statusLine));
            }
        }

        /**
         * A socket connected to the first of {@code addresses} that takes the connection: an address that refuses it,
         * cannot be reached or does not answer in time is followed by the next (an IPv6 address without a route,
         * say).
         */
        private Socket connected(InetAddress[] addresses, int port) throws IOException {
            IOException failure = null;
            for (InetAddress address : addresses) {
                Socket socket = new Socket();
                use(socket);
                try {
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress(address, port), connectTimeoutMillis);
                    socket.setSoTimeout(readTimeoutMillis);
                    return socket;
                } catch (SocketException | SocketTimeoutException e) {
                    closeQuietly(socket);
                    if (cancelled) {
                        throw new IOException("cancelled", e);
                    }
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                    // the next address, if any
                } catch (IOException | RuntimeException e) {
                    closeQuietly(socket);
                    throw e;
                }
            }
            throw failure != null ? failure : new UnknownHostException(host);
        }

        private SSLSocket handshake(Socket socket) throws IOException {
            SSLSocket secured = (SSLSocket) tls.createSocket(socket, host, port, true);
            SSLParameters parameters = secured.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            secured.setSSLParameters(parameters);
            secured.setSoTimeout(readTimeoutMillis);
            secured.startHandshake();
            return secured;
        }
    }

    /** The addresses of a host name (the JDK's resolver, but in tests). */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** A request body's own source failed while it was written (the socket had not). */
    private static final class PayloadFailure extends IOException {
        PayloadFailure(IOException source) {
            super(source);
        }

        IOException source() {
            return (IOException) getCause();
        }
    }

    /**
     * The socket's output for a body of {@code limit} bytes: it counts what was written, refuses more than the limit
     * (the server would take it for the next request), and notes whether one of its writes failed.
     */
    private static final class SocketOutput extends FilterOutputStream {

        private final long limit;
        private long written;
        private boolean failed;

        SocketOutput(OutputStream out, long limit) {
            super(out);
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (written + length > limit) {
                throw new IOException("the body is longer than its " + limit + " bytes");
            }
            try {
                out.write(bytes, offset, length);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
            written += length;
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public void close() {
            // the connection's, not the body's, to close
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** {@code host:port}, an IPv6 address in brackets. */
    private static String authority(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The HTTP proxy the selector names first for {@code uri}, or null (none, or only other kinds). */
    private InetSocketAddress proxyFor(String uri) {
        if (proxies == null) {
            return null;
        }
        for (Proxy proxy : proxies.select(URI.create(uri))) {
            if (proxy.type() == Proxy.Type.DIRECT) {
                return null;
            }
            if (proxy.type() == Proxy.Type.HTTP && proxy.address() instanceof InetSocketAddress address) {
                return address;
            }
        }
        return null;
    }

    /**
     * One line of a head read from {@code in}, without its CRLF; {@code started} runs at its first byte (the first line
     * of an answer marks the answer started).
     */
    private static String headLine(InputStream in, Runnable started) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(80);
        boolean first = true;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the server closed the connection before its answer's head ended");
            }
            if (first) {
                started.run();
                first = false;
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_HEAD_BYTES) {
                throw new ProtocolException("an answer's head line longer than " + MAX_HEAD_BYTES + " bytes");
            }
            line.write(b);
        }
    }

    /** The header lines of a head, up to its blank line, by lower-case name, each with its values in the order sent. */
    private static Map<String, List<String>> headerLines(InputStream in) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        int total = 0;
        for (String line; !(line = headLine(in, NOTHING)).isEmpty(); ) {
            total += line.length();
            int colon = line.indexOf(':');
            if (total > MAX_HEAD_BYTES || colon <= 0) {
                throw new ProtocolException("not an HTTP header: " + abbreviate(line));
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            headers.computeIfAbsent(name, any -> new ArrayList<>(1))
                    .add(line.substring(colon + 1).trim());
        }
        return headers;
    }

    /** The status of an {@code HTTP/1.x NNN reason} line: three digits, then a space or the line's end. */
    private static int status(String line) throws ProtocolException {
        boolean valid = line.startsWith("HTTP/1.")
                && line.length() >= 12
                && line.charAt(8) == ' '
                && (line.length() == 12 || line.charAt(12) == ' ')
                && line.substring(9, 12).chars().allMatch(c -> c >= '0' && c <= '9');
        if (!valid) {
            throw new ProtocolException("not an HTTP/1.x status line: " + abbreviate(line));
        }
        return Integer.parseInt(line.substring(9, 12));
    }

    private static byte[] head(
            String method, String target, Iterable<Map.Entry<String, String>> headers, Payload body) {
        if (!token(method) || !visible(target)) {
            throw new IllegalArgumentException("not a request line that can be sent: " + method + " " + target);
        }
        StringBuilder head =
                new StringBuilder(512).append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        for (Map.Entry<String, String> header : headers) {
            String name = header.getKey();
            String value = header.getValue();
            if (!token(name) || !value.chars().allMatch(c -> c == '\t' || (c >= ' ' && c < 127))) {
                throw new IllegalArgumentException("not a header that can be sent: " + name);
            }
            head.append(name).append(": ").append(value).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length()).append("\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Printable ASCII without spaces, as a request target is. */
    private static boolean visible(String target) {
        return !target.isEmpty() && target.chars().allMatch(c -> c > ' ' && c < 127);
    }

    private static boolean token(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 127 || c == ':') {
                return false;
            }
        }
        return true;
    }

    /** An answer's status, and its body as a stream; closing it ends the exchange. */
    public final class Answer implements AutoCloseable {

        private final int status;
        private final Map<String, List<String>> headers;
        private final Body body;

        private Answer(int status, Map<String, List<String>> headers, Body body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public boolean isSuccessful() {
            return status >= 200 && status < 300;
        }

        /** The values of the header {@code name} (any case), repeated ones joined by commas. */
        public Optional<String> header(String name) {
            return Optional.ofNullable(joined(headers, name.toLowerCase(Locale.ROOT)));
        }

        /** The first value of the header {@code name} (any case), when it was sent more than once. */
        public Optional<String> firstValue(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? Optional.empty() : Optional.of(values.getFirst());
        }

        /** The body, read as it arrives; closing it closes the answer. */
        public InputStream body() {
            return body;
        }

        /** At most {@code limit} bytes of the body, as text. */
        public String bodyText(int limit) throws IOException {
            return new String(body.readNBytes(limit), StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            body.close();
        }
    }

    /**
     * One connection: its plain socket ({@code raw}), the socket it talks through ({@code raw}, or TLS over it), its
     * buffered input, and when it was last given back.
     */
    private final class Connection {

        private final Socket raw;
        private final Socket socket;
        private final BufferedInputStream in;
        private final OutputStream out;
        private long idleSince;
        private boolean answerStarted;
        /** Marks the answer started, at the first byte of its first line. */
        private final Runnable started = () -> answerStarted = true;

        Connection(Socket raw, Socket socket) throws IOException {
            this.raw = raw;
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            this.out = socket.getOutputStream();
        }

        long idleFor() {
            return nanoTime.getAsLong() - idleSince;
        }

        /**
         * Whether the server has not closed this connection while it waited: a read that waits at most a millisecond
         * finds nothing (the end of the stream, bytes nobody asked for, or a failure say it cannot be used).
         */
        boolean stillOpen() {
            try {
                socket.setSoTimeout(1);
                try {
                    in.read();
                    return false;
                } catch (SocketTimeoutException nothing) {
                    return true;
                } finally {
                    socket.setSoTimeout(readTimeoutMillis);
                }
            } catch (IOException e) {
                return false;
            }
        }

        /** Whether bytes arrived that no request asked for; true if that cannot be told. */
        boolean hasUnread() {
            try {
                return in.available() > 0;
            } catch (IOException e) {
                return true;
            }
        }

        /**
         * Writes the request. A failure of the body's own source (not of the socket) is a {@link PayloadFailure}:
         * the server is then waiting for the rest, so there is no answer to read.
         */
        void write(byte[] head, Payload body) throws IOException {
            answerStarted = false;
            out.write(head);
            if (body != null && body.length() > 0) {
                SocketOutput socket = new SocketOutput(out, body.length());
                try {
                    body.writeTo(socket);
                } catch (IOException e) {
                    throw socket.failed ? e : new PayloadFailure(e);
                }
                if (socket.written != body.length()) {
                    throw new PayloadFailure(
                            new IOException("the body gave " + socket.written + " of its " + body.length() + " bytes"));
                }
            }
            out.flush();
        }

        /**
         * Reads the answer's head; its body then belongs to {@code exchange}. {@code mayKeep}: false when the request
         * was not sent whole (the connection is closed at the body's end).
         */
        Answer readAnswer(String method, Exchange exchange, Deque<Connection> kept, boolean mayKeep)
                throws IOException {
            while (true) {
                String statusLine = headLine(in, started);
                int status = status(statusLine);
                Map<String, List<String>> headers = headerLines(in);
                if (status >= 100 && status < 200) {
                    continue; // an interim answer (100 Continue): the real one follows
                }
                boolean keep = mayKeep
                        && statusLine.startsWith("HTTP/1.1")
                        && !hasToken(joined(headers, "connection"), "close");
                String encoding = joined(headers, "transfer-encoding");
                String length = joined(headers, "content-length");
                long size;
                if (method.equals("HEAD") || status == 204 || status == 304) {
                    size = 0;
                } else if (encoding != null) {
                    if (!encoding.trim().equalsIgnoreCase("chunked")) {
                        throw new ProtocolException("a transfer coding other than chunked: " + encoding);
                    }
                    size = Body.CHUNKED;
                } else if (length != null) {
                    size = contentLength(length);
                } else {
                    size = Body.UNTIL_CLOSE;
                    keep = false;
                }
                return new Answer(status, headers, new Body(this, exchange, size, keep, kept));
            }
        }

        private static long contentLength(String value) throws ProtocolException {
            String digits = value.trim();
            if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new ProtocolException("not a Content-Length: " + abbreviate(value));
            }
            return Long.parseLong(digits);
        }

        /** One line of the answer's head (a chunk's size, a trailer), without its CRLF. */
        String line() throws IOException {
            return headLine(in, NOTHING);
        }

        /** Closes the plain socket: at once, without TLS's closing message, which a stuck write would hold up. */
        void abort() {
            closeQuietly(raw);
        }

        void giveBack(Deque<Connection> kept) {
            idleSince = nanoTime.getAsLong();
            kept.offerFirst(this);
            Connection oldest = kept.peekLast();
            if (kept.size() > MAX_IDLE || (oldest != null && oldest.idleFor() > KEEP_IDLE.toNanos())) {
                if (kept.removeLastOccurrence(oldest)) {
                    oldest.abort();
                }
            }
            if (closed && kept.remove(this)) {
                abort(); // kept after close(): nobody would close it
            }
        }
    }

    /** A header's values joined by commas, or null. */
    private static String joined(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null ? null : String.join(", ", values);
    }

    private static boolean hasToken(String value, String token) {
        if (value == null) {
            return false;
        }
        for (String part : value.split(",")) {
            if (part.trim().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }

    /**
     * An answer's body: {@code size} bytes, chunked, or up to the connection's end. At its end, a connection that may
     * be kept goes back to the deque; closed early, it is read to its end when little is left, else closed.
     */
    private final class Body extends InputStream {

        static final long CHUNKED = -1;
        static final long UNTIL_CLOSE = -2;

        private final Connection connection;
        private final Exchange exchange;
        private final boolean keep;
        private final Deque<Connection> kept;
        private final boolean chunked;
        private final boolean untilClose;
        /** Bytes left in the body (known length) or in the current chunk. */
        private long left;

        /** The body's last byte was read. */
        private boolean ended;
        /** The connection was kept or closed: it is no longer this body's. */
        private boolean released;
        /** The caller closed the body. */
        private boolean closed;

        /** A read failed: the body's framing is lost. */
        private boolean failed;

        Body(Connection connection, Exchange exchange, long size, boolean keep, Deque<Connection> kept)
                throws IOException {
            this.connection = connection;
            this.exchange = exchange;
            this.keep = keep;
            this.kept = kept;
            this.chunked = size == CHUNKED;
            this.untilClose = size == UNTIL_CLOSE;
            this.left = size >= 0 ? size : 0;
            if (chunked) {
                nextChunk();
            } else if (size == 0) {
                end();
            }
        }

        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException {
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (closed) {
                throw new IOException("closed");
            }
            if (failed) {
                throw new IOException("the answer's body failed before");
            }
            if (length == 0) {
                return 0;
            }
            if (ended) {
                return -1;
            }
            try {
                return readSome(buffer, offset, length);
            } catch (IOException | RuntimeException e) {
                failed = true; // the framing is lost: the connection cannot be kept, nor the body read on
                release(false);
                throw e;
            }
        }

        private int readSome(byte[] buffer, int offset, int length) throws IOException {
            if (untilClose) {
                int n = connection.in.read(buffer, offset, length);
                if (n < 0) {
                    ended = true;
                    release(false);
                }
                return n;
            }
            int n = connection.in.read(buffer, offset, (int) Math.min(length, left));
            if (n < 0) {
                throw new EOFException("the server closed the connection with " + left + " bytes of its answer unsent");
            }
            left -= n;
            if (left == 0) {
                if (chunked) {
                    crlf();
                    nextChunk();
                } else {
                    end();
                }
            }
            return n;
        }

        /** How many bytes can be read without waiting; 0 if that cannot be told. */
        private int arrived() {
            try {
                return connection.in.available();
            } catch (IOException e) {
                return 0;
            }
        }

        @Override
        public int available() throws IOException {
            return ended || closed ? 0 : (int) Math.min(connection.in.available(), left);
        }

        private void nextChunk() throws IOException {
            String line = connection.line();
            int extension = line.indexOf(';');
            String size = (extension >= 0 ? line.substring(0, extension) : line).trim();
            if (size.isEmpty() || size.length() > 15 || !size.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new ProtocolException("not a chunk size: " + abbreviate(line));
            }
            left = Long.parseLong(size, 16);
            if (left == 0) {
                int trailers = 0;
                for (String trailer; !(trailer = connection.line()).isEmpty(); ) {
                    trailers += trailer.length();
                    if (trailers > MAX_HEAD_BYTES) {
                        throw new ProtocolException("trailers longer than " + MAX_HEAD_BYTES + " bytes");
                    }
                }
                end();
            }
        }

        private void crlf() throws IOException {
            if (!connection.line().isEmpty()) {
                throw new ProtocolException("a chunk longer than its size");
            }
        }

        /** The body's last byte was read: the connection is kept, unless it may not be. */
        private void end() {
            ended = true;
            if (keep) {
                release(true);
            }
        }

        private void release(boolean keepIt) {
            if (released) {
                return;
            }
            released = true;
            if (exchange.release(connection.raw) && keepIt) {
                connection.giveBack(kept);
            } else {
                connection.abort(); // not to be kept, or a cancel took it and closed it
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (!ended && !released && !failed && keep && !chunked && left <= DRAIN_BYTES && arrived() >= left) {
                try {
                    skipNBytes(left); // reaches end(), which keeps the connection
                } catch (IOException e) {
                    release(false);
                }
            }
            closed = true;
            release(false); // no-op when already kept
        }
    }
}
