package dev.transcriber.worker.accounts;

import dev.transcriber.common.net.HttpConnections;
import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.store.StoredText;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.transcript.Logprob;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import jakarta.annotation.PreDestroy;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProxySelector;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calls the transcription (or translation) endpoint of OpenAI, any server that speaks its API, or Azure OpenAI (its deployment path,
 * {@code api-version} and {@code api-key} header). The audio is streamed from the object store into the request body
 * with a known length. Each call is a span of the job's trace, and the request carries it ({@code traceparent}). The
 * call runs on the caller's thread ({@link HttpConnections}, connections kept per upstream, the JVM's proxy settings
 * followed), with one deadline for the whole exchange.
 */
@Component
public class OpenAiCompatibleClient implements TranscriptionProvider {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OpenAiCompatibleClient.class);

    /** A URL in an upstream's message, up to the space or closing bracket or quote after it. */
    private static final java.util.regex.Pattern URL =
            java.util.regex.Pattern.compile("(?i)\\b(?:https?|wss?|ftp)://[^\\s)\\]}>\"',]+");

    /**
     * An address in an upstream's message outside a URL: a bracketed IPv6 address, an IPv4 address, or a host name
     * with its port ({@code localhost:8000}, {@code gpu-3.internal:9000}); each with its port when it has one.
     */
    private static final java.util.regex.Pattern ADDRESS = java.util.regex.Pattern.compile("(?i)"
            + "\\[[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*](?::\\d{1,5})?"
            + "|\\b\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{1,5})?\\b"
            + "|\\b(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+):\\d{1,5}\\b");

    /** Sent with every call, as the JDK's client sent its own: some proxies and firewalls refuse requests without. */
    private static final String USER_AGENT = "transcriber-worker";

    /** How long a connection to an upstream may take to open. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** The most of an answer read: a transcript's JSON is far below it (an upstream takes at most 25 MB of audio). */
    private static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;

    private final HttpConnections http;
    private final JsonMapper json;
    private final Duration callTimeout;
    private final Clock clock;
    private final Traces traces;

    OpenAiCompatibleClient(
            JsonMapper json,
            @Value("${transcriber.upstream.call-timeout:10m}") Duration callTimeout,
            Clock clock,
            Traces traces) {
        this.traces = traces;
        this.json = json;
        this.callTimeout = callTimeout;
        this.clock = clock;
        // the JVM's proxy settings (https.proxyHost, http.nonProxyHosts, ...) as the JDK's HTTP client takes them
        this.http = new HttpConnections(
                CONNECT_TIMEOUT,
                Duration.ofMillis(Math.min(callTimeout.toMillis(), Integer.MAX_VALUE)),
                ProxySelector.getDefault());
    }

    @PreDestroy
    void close() {
        http.close();
    }

    @Override
    public boolean handles(AccountsProperties.ProviderKind kind) {
        return kind == AccountsProperties.ProviderKind.OPENAI || kind == AccountsProperties.ProviderKind.AZURE;
    }

    /**
     * One call, giving up after {@code timeLeft} or {@code transcriber.upstream.call-timeout}, whichever is sooner: a
     * deadline on the whole exchange, the answer's body included (an upstream sending a byte a second is cut off).
     */
    @Override
    public Transcript transcribe(UpstreamAccount account, UpstreamCall call, Duration timeLeft) {
        Duration timeout = timeLeft.compareTo(callTimeout) < 0 ? timeLeft : callTimeout;
        Endpoint endpoint = Endpoint.of(
                call.translates()
                        ? account.translationsUrl(call.model(), call.usualUpstreamModel())
                        : account.transcriptionsUrl(call.model(), call.usualUpstreamModel()));
        HttpConnections.Exchange exchange = http.exchange(endpoint.scheme(), endpoint.host(), endpoint.port());
        String boundary = "transcriber-" + UUID.randomUUID();
        byte[] head = head(boundary, call, account.upstreamModel(call.model(), call.usualUpstreamModel()));
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        List<Map.Entry<String, String>> headers = new ArrayList<>(8);
        headers.add(Map.entry("Host", endpoint.hostHeader()));
        headers.add(Map.entry("User-Agent", USER_AGENT));
        if (account.kind() == AccountsProperties.ProviderKind.AZURE) {
            headers.add(Map.entry("api-key", account.apiKey()));
        } else {
            headers.add(Map.entry("Authorization", "Bearer " + account.apiKey()));
        }
        headers.add(Map.entry("Content-Type", "multipart/form-data; boundary=" + boundary));
        headers.add(Map.entry("Accept", "application/json"));
        // The audio is opened, and its first bytes read, before any connection to the upstream: a store that cannot
        // give the audio costs no upstream call (each one billable) and none of the upstream's retry budget.
        AudioBody body = new AudioBody(call, head, tail);
        try (Traces.Traced span = traces.outgoing(
                        call.translates() ? "upstream translate" : "upstream transcribe",
                        headers,
                        (list, name, value) -> list.add(Map.entry(name, value)))
                .tag("upstream.account", account.id())
                .tag("upstream.model", call.model())) {
            try {
                Reply reply = exchange(account, exchange, endpoint.target(), headers, body, timeout);
                span.tag("http.response.status_code", String.valueOf(reply.status()));
                return read(account, call, reply);
            } catch (RuntimeException e) {
                span.error(e);
                throw e;
            }
        }
    }

    /**
     * The multipart body: the fields, the audio, the closing boundary. It is sent once (the audio is read as it goes).
     * The deadline does not reach into the audio's reading (the store's stream is its reader's alone to close): a store
     * that stalls mid-audio is ended by the store's own read timeout, a storage failure.
     */
    private static final class AudioBody implements HttpConnections.Payload {

        private final UpstreamCall call;
        private final byte[] head;
        private final byte[] tail;
        private final CountingInputStream audio;
        private IOException sizeFailure;

        AudioBody(UpstreamCall call, byte[] head, byte[] tail) {
            this.call = call;
            this.head = head;
            this.tail = tail;
            this.audio = CountingInputStream.counted(openAudio(call));
        }

        @Override
        public long length() {
            return head.length + call.sizeBytes() + tail.length;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            out.write(head);
            try {
                copyExactly(audio, out, call.sizeBytes());
            } catch (AudioSizeException e) {
                sizeFailure = e;
                throw e;
            }
            out.write(tail);
        }

        /** Why the audio's reading failed (the store, or an object of another size than recorded), or null. */
        IOException readFailure() {
            return audio.readFailure() != null ? audio.readFailure() : sizeFailure;
        }

        void close() {
            ObjectStore.closeQuietly(audio);
        }
    }

    /** An upstream's answer: its status, its headers' first values (by any case of their name) and its body. */
    private record Reply(int status, Function<String, Optional<String>> headers, String body) {}

    /**
     * The answer to a POST of {@code body} to {@code target}, within {@code timeout} for the whole of the exchange with
     * the upstream; the audio is closed either way.
     */
    private Reply exchange(
            UpstreamAccount account,
            HttpConnections.Exchange exchange,
            String target,
            List<Map.Entry<String, String>> headers,
            AudioBody body,
            Duration timeout) {
        ScheduledFuture<?> deadline = exchange.cancelAfter(timeout);
        try (HttpConnections.Answer answer = exchange.send("POST", target, headers, body)) {
            byte[] read = answer.body().readNBytes(MAX_ANSWER_BYTES + 1);
            if (read.length > MAX_ANSWER_BYTES) {
                if (answer.isSuccessful()) {
                    // not read whole, so not readable: a call paid for already, which a retry would pay for again
                    throw new UpstreamException.Rejected(
                            account.id(),
                            answer.status(),
                            "the upstream's answer is larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                read = java.util.Arrays.copyOf(read, MAX_ANSWER_BYTES); // an error's first bytes say enough
            }
            return new Reply(answer.status(), answer::firstValue, new String(read, StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the store's failure first: a deadline that passed while the store stalled is not the upstream's
            IOException readFailure = body.readFailure();
            if (readFailure != null) {
                throw new ObjectStoreException(
                        "object store: reading the audio for the upstream failed: " + readFailure, readFailure);
            }
            if (exchange.isCancelled() || e instanceof SocketTimeoutException) {
                throw new UpstreamException.Retryable(account.id(), "timeout", "timed out after " + timeout, e);
            }
            throw new UpstreamException.Retryable(account.id(), "connection", "connection failed: " + e, e);
        } finally {
            deadline.cancel(false);
            body.close(); // on every path: an early answer or a timeout leaves the audio unread
        }
    }

    /**
     * Where an upstream is called: its scheme (lower case), host, port and request target, from an account's URL. A
     * host name the URI grammar refuses (an underscore, as in a compose service's name) is taken from the authority.
     */
    record Endpoint(String scheme, String host, int port, String target) {

        static Endpoint of(String url) {
            URI uri = URI.create(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("not an http(s) URL: " + url);
            }
            String host = uri.getHost();
            int port = uri.getPort();
            String authority = uri.getRawAuthority();
            if (host == null && authority != null && !authority.contains("@") && !authority.startsWith("[")) {
                int colon = authority.lastIndexOf(':');
                host = colon < 0 ? authority : authority.substring(0, colon);
                port = colon < 0 ? -1 : Integer.parseInt(authority.substring(colon + 1));
            }
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("no host in " + url);
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return new Endpoint(
                    scheme,
                    host,
                    port >= 0 ? port : defaultPort(scheme),
                    path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        }

        /** The {@code Host} header: the port only when it is not the scheme's own. */
        String hostHeader() {
            return port == defaultPort(scheme) ? host : host + ":" + port;
        }

        private static int defaultPort(String scheme) {
            return scheme.equals("https") ? 443 : 80;
        }
    }

    /** The stored audio is not as long as its job records: the object, not the upstream, is at fault. */
    private static final class AudioSizeException extends IOException {
        AudioSizeException(String message) {
            super(message);
        }
    }

    /** Copies {@code size} bytes, no fewer and no more: the request's length was announced. */
    private static void copyExactly(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new AudioSizeException("the stored audio ended " + left + " bytes before its " + size);
            }
            out.write(buffer, 0, n);
            left -= n;
        }
        if (in.read() >= 0) {
            throw new AudioSizeException("the stored audio is longer than its " + size + " bytes");
        }
    }

    /** The audio, with its first bytes already read (so an unreachable store fails here, not mid-request). */
    private static InputStream openAudio(UpstreamCall call) {
        InputStream source = call.audio().get();
        BufferedInputStream buffered = new BufferedInputStream(source, 64 * 1024);
        try {
            buffered.mark(1);
            buffered.read();
            buffered.reset();
        } catch (IOException e) {
            ObjectStore.closeQuietly(buffered);
            throw new ObjectStoreException("object store: the audio could not be read: " + e.getMessage(), e);
        }
        return buffered;
    }

    /**
     * The segments of a {@code diarized_json} answer: who spoke ({@code speaker}), when, and what; their ids (strings
     * such as {@code seg_001}) are replaced by their place.
     */
    private static List<Transcript.Segment> diarizedSegments(JsonNode segments) {
        List<Transcript.Segment> read = new ArrayList<>();
        for (JsonNode segment : segments) {
            read.add(new Transcript.Segment(
                    read.size(),
                    segment.path("start").asDouble(),
                    segment.path("end").asDouble(),
                    segment.path("text").asString(""),
                    segment.path("speaker").asString("A")));
        }
        return read;
    }

    private Transcript read(UpstreamAccount account, UpstreamCall call, Reply response) {
        int status = response.status();
        if (status == 429) {
            throw new UpstreamException.RateLimited(
                    account.id(), RateLimitHeaders.until(response.headers(), clock.instant()), errorMessage(response));
        }
        if (status == 401 || status == 403) {
            throw new UpstreamException.Unauthorized(account.id(), status, errorMessage(response));
        }
        if (status >= 500 || status == 408) {
            throw new UpstreamException.Retryable(
                    account.id(), "server_error", "HTTP " + status + ": " + errorMessage(response), null);
        }
        if (status >= 400) {
            throw new UpstreamException.Rejected(account.id(), status, rejection(account, response));
        }
        try {
            JsonNode body = json.readTree(response.body());
            JsonNode text = body.get("text");
            if (text == null || !text.isString()) {
                throw new UpstreamException.Retryable(
                        account.id(), "bad_response", "response has no text: " + abbreviate(response.body()), null);
            }
            Usage usage = body.hasNonNull("usage") ? json.treeToValue(body.get("usage"), Usage.class) : null;
            Double duration = body.hasNonNull("duration") ? body.get("duration").asDouble() : null;
            String language = body.hasNonNull("language") ? body.get("language").asString() : null;
            List<Transcript.Segment> segments = body.has("segments")
                    ? call.diarization() != null
                            ? diarizedSegments(body.get("segments"))
                            : json.treeToValue(body.get("segments"), new TypeReference<List<Transcript.Segment>>() {})
                    : null;
            List<Transcript.Word> words = body.has("words")
                    ? json.treeToValue(body.get("words"), new TypeReference<List<Transcript.Word>>() {})
                    : null;
            if (segments == null && words != null) {
                segments = List.of(); // asked for both; an upstream that gave words only still gave timestamps
            }
            // kept only when asked for: a job that did not ask answers without them, whatever the upstream sent
            List<Logprob> logprobs = call.logprobs()
                            && body.has("logprobs")
                            && body.get("logprobs").isArray()
                    ? json.treeToValue(body.get("logprobs"), new TypeReference<List<Logprob>>() {})
                    : null;
            return new Transcript(text.asString(), language, duration, usage, segments, words, logprobs);
        } catch (JacksonException e) {
            throw new UpstreamException.Retryable(
                    account.id(), "bad_response", "unreadable response: " + abbreviate(response.body()), e);
        }
    }

    private String errorMessage(Reply response) {
        String message = upstreamsOwn(response);
        return message != null ? message : abbreviate(response.body());
    }

    /**
     * A refusal's message, which becomes the failed job's and so its caller's: the upstream's own explanation with no
     * URL, address or the upstream's own host name in it (a self-hosted upstream's may name them), or only the status
     * when its body holds none (a proxy's page, say), the body then logged for the operator.
     */
    private String rejection(UpstreamAccount account, Reply response) {
        String message = upstreamsOwn(response);
        if (message == null) {
            log.warn(
                    "upstream {} refused a call with HTTP {} and no error message: {}",
                    account.id(),
                    response.status(),
                    abbreviate(response.body()));
            return "HTTP " + response.status() + ", with no error message in its body";
        }
        return scrubbed(message, Endpoint.of(account.baseUrl()).host());
    }

    /**
     * {@code message} with its URLs, addresses and every mention of {@code host} (any case) replaced; a host of one
     * plain word ({@code whisper}, {@code audio}: a compose service's name) only where a port follows it, since the
     * same word in the upstream's own sentence is not its address.
     */
    static String scrubbed(String message, String host) {
        String scrubbed =
                ADDRESS.matcher(URL.matcher(message).replaceAll("<url>")).replaceAll("<address>");
        boolean word = host.matches("(?i)[a-z]+") && !host.equalsIgnoreCase("localhost");
        String quoted = java.util.regex.Pattern.quote(host);
        return java.util.regex.Pattern.compile(
                        word
                                ? "(?<![a-z0-9.-])" + quoted + ":\\d{1,5}\\b"
                                : "(?<![a-z0-9.-])" + quoted + "(?![a-z0-9-]|\\.[a-z0-9])",
                        java.util.regex.Pattern.CASE_INSENSITIVE)
                .matcher(scrubbed)
                .replaceAll(word ? "<address>" : "<host>");
    }

    /** The upstream's {@code error.message}, as OpenAI shapes it; null when the body holds none. */
    private String upstreamsOwn(Reply response) {
        try {
            JsonNode message = json.readTree(response.body()).path("error").path("message");
            if (message.isString()) {
                return StoredText.message(message.asString()); // it may end in a job's row or an account's
            }
        } catch (JacksonException ignored) {
            // not JSON
        }
        return null;
    }

    private static String abbreviate(String body) {
        return body == null ? "" : body.length() <= 300 ? body : body.substring(0, 300) + "...";
    }

    private static byte[] head(String boundary, UpstreamCall call, String upstreamModel) {
        List<Map.Entry<String, String>> fields = new ArrayList<>(); // a name may repeat (timestamp_granularities[])
        fields.add(Map.entry("model", upstreamModel));
        UpstreamCall.Diarization diarization = call.diarization();
        fields.add(Map.entry(
                "response_format",
                diarization != null ? "diarized_json" : call.timestamps() ? "verbose_json" : "json"));
        if (diarization != null && call.chunkingStrategy() == null) {
            // OpenAI requires a chunking strategy for its diarizing models, whatever the audio's length; the caller's
            // own, when it sent one, is sent below instead
            fields.add(Map.entry("chunking_strategy", "auto"));
        }
        // a translation takes model, prompt, response_format and temperature only: its verbose_json has segments
        if (call.timestamps() && diarization == null && !call.translates()) {
            fields.add(Map.entry("timestamp_granularities[]", "segment"));
            fields.add(Map.entry("timestamp_granularities[]", "word"));
        }
        if (call.language() != null && !call.translates()) {
            fields.add(Map.entry("language", call.language()));
        }
        if (call.prompt() != null && diarization == null) { // diarizing models take no prompt
            fields.add(Map.entry("prompt", call.prompt()));
        }
        if (call.temperature() != null) {
            fields.add(Map.entry("temperature", call.temperature().toString()));
        }
        if (call.logprobs()) {
            fields.add(Map.entry("include[]", "logprobs"));
        }
        if (call.chunkingStrategy() != null) {
            call.chunkingStrategy().formFields().forEach((name, value) -> fields.add(Map.entry(name, value)));
        }
        // the caller's known speakers first, then the voices earlier pieces heard, at most four in all
        List<String> names = new ArrayList<>();
        List<String> references = new ArrayList<>();
        call.knownSpeakers().forEach(speaker -> {
            names.add(speaker.name());
            references.add(speaker.dataUrl());
        });
        if (diarization != null) {
            names.addAll(diarization.knownNames());
            references.addAll(diarization.knownReferences());
        }
        int known = Math.min(UpstreamCall.Diarization.MAX_KNOWN_SPEAKERS, names.size());
        names.subList(0, known).forEach(name -> fields.add(Map.entry("known_speaker_names[]", name)));
        references.subList(0, known).forEach(clip -> fields.add(Map.entry("known_speaker_references[]", clip)));
        StringBuilder head = new StringBuilder();
        fields.forEach(field -> head.append("--")
                .append(boundary)
                .append("\r\nContent-Disposition: form-data; name=\"")
                .append(field.getKey())
                .append("\"\r\n\r\n")
                .append(field.getValue())
                .append("\r\n"));
        String filename = call.filename() == null
                ? "audio"
                : call.filename().replace("\"", "").replace("\r", "").replace("\n", "");
        head.append("--")
                .append(boundary)
                .append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"")
                .append(filename)
                .append("\"\r\nContent-Type: ")
                .append(call.contentType() == null ? "application/octet-stream" : call.contentType())
                .append("\r\n\r\n");
        return head.toString().getBytes(StandardCharsets.UTF_8);
    }
}
