package dev.transcriber.common.storage;

import com.google.common.collect.Multimap;
import com.google.common.collect.MultimapBuilder;
import dev.transcriber.common.net.HttpConnections;
import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.Digest;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.RemoveObjectArgs;
import io.minio.S3Escaper;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.http.HttpUtils;
import io.minio.http.Method;
import io.minio.messages.Part;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3-compatible object store, reached through the MinIO client. Audio always passes through as a stream.
 *
 * <p>The two calls on every job's path, storing an upload that fits in one part and reading an object, go out on the
 * caller's own thread through a plain blocking HTTP/1.1 client ({@link HttpConnections}), signed here as the MinIO
 * client signs them ({@link HeaderSigner}: AWS Signature V4 in the headers, at the address the MinIO client uses for
 * the object). An upload's signature covers its body's SHA-256 only where the link does not protect the body already
 * ({@link StorageProperties.PayloadSigning}): elsewhere, both ends would hash every byte again (and S3Proxy reads the
 * whole body into memory first to check it). The MinIO client would run each as an asynchronous call: a hop to the
 * common fork-join pool to read the source, one to OkHttp's dispatcher threads for the exchange, one back to the waiting
 * caller, and a wake-up of Okio's watchdog thread around every timed socket read and write: about 25 more thread
 * switches per sync request (measured in {@code bench/sync-latency.sh}). OkHttp's blocking call, used here until the
 * twelfth round, still took its connection pool's one lock and woke its task runner at every call's end. Here a
 * read waits on the socket's own timeout and a PUT has one deadline for the whole call (a store that stopped reading:
 * {@link HttpConnections.Exchange#cancelAfter}), both
 * {@code transcriber.storage.timeout}. Everything else (multipart uploads, stat, copy, list, delete, presigned URLs)
 * goes through the MinIO client.
 */
public class ObjectStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ObjectStore.class);

    /** The payload hash of a request whose signature does not cover its body. */
    private static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

    private final MinioClient client;
    /** For multipart uploads fed part by part from the caller's thread. */
    private final MinioAsyncClient parts;
    /**
     * Signs the presigned URLs handed to callers, for the endpoint they reach the store at
     * ({@link StorageProperties#callerEndpoint()}). It never calls the store: with the region given, signing is local.
     */
    private final MinioClient callerSigner;

    /**
     * For the calls made on the caller's thread: connections of their own, read with the socket's own timeout (a PUT
     * has a deadline too).
     */
    private final HttpConnections direct;

    private final StorageProperties properties;

    /** Whether an upload's signature covers its body ({@link #signsPayloads}). */
    private final boolean signsPayloads;

    /** The address of each object, as the MinIO client builds it. */
    private final ObjectPaths objects;

    /** Signs the calls made on the caller's thread. */
    private final HeaderSigner signer;

    /** The memory parts on their way to the store may hold, all uploads of this process together. */
    private final PartBuffers buffers;

    private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

    private static final int ERROR_BYTES = 16 * 1024;

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    public ObjectStore(StorageProperties properties) {
        this.properties = properties;
        if (properties.bufferMemory() != null
                && properties.bufferMemory().toBytes() < properties.partSize().toBytes() + PartBuffers.BLOCK) {
            log.warn(
                    "transcriber.storage.buffer-memory ({}) is smaller than one part ({}): no upload larger than it"
                            + " will be stored",
                    properties.bufferMemory(),
                    properties.partSize());
        }
        this.signsPayloads = signsPayloads(properties);
        this.buffers = new PartBuffers(
                properties.bufferMemory() == null
                        ? PartBuffers.defaultBytes()
                        : properties.bufferMemory().toBytes(),
                properties.bufferWait());
        OkHttpClient http = new OkHttpClient.Builder()
                .socketFactory(new NoDelaySocketFactory(properties.timeout()))
                .protocols(List.of(Protocol.HTTP_1_1)) // as the MinIO client's own: every read on the socket's timeout
                .connectTimeout(CONNECT_TIMEOUT)
                .writeTimeout(properties.timeout())
                .readTimeout(properties.timeout())
                .build();
        this.direct = new HttpConnections(CONNECT_TIMEOUT, properties.timeout());
        this.client = MinioClient.builder()
                .endpoint(properties.endpoint())
                .credentials(properties.accessKey(), properties.secretKey())
                .region(properties.region())
                .httpClient(http)
                .build();
        this.parts = MinioAsyncClient.builder()
                .endpoint(properties.endpoint())
                .credentials(properties.accessKey(), properties.secretKey())
                .region(properties.region())
                .httpClient(http)
                .build();
        this.objects = ObjectPaths.of(client, properties.bucket());
        this.signer = new HeaderSigner(
                properties.region(), properties.accessKey(), properties.secretKey(), Clock.systemUTC());
        this.callerSigner = MinioClient.builder()
                .endpoint(properties.callerEndpoint())
                .credentials(properties.accessKey(), properties.secretKey())
                .region(properties.region())
                .httpClient(http)
                .build();
    }

    public String bucket() {
        return properties.bucket();
    }

    /** The memory the parts of this process's uploads hold now (read, not yet sent), in whole blocks. */
    public long bufferedBytes() {
        return buffers.heldBytes();
    }

    /** Throws {@link ObjectStoreException} unless the bucket exists and the store answers. */
    public void checkBucket() {
        call("check bucket " + bucket(), () -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket()).build())) {
                throw new ObjectStoreException("object store: the bucket " + bucket() + " is missing", null);
            }
            return null;
        });
    }

    /** Creates the bucket unless it exists; several processes starting at once may all try, and that is fine. */
    public void ensureBucket() {
        call("create bucket " + bucket(), () -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket()).build())) {
                try {
                    client.makeBucket(MakeBucketArgs.builder().bucket(bucket()).build());
                } catch (ErrorResponseException e) {
                    String code = e.errorResponse().code();
                    if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                        throw e;
                    }
                }
            }
            return null;
        });
    }

    /**
     * Streams {@code in} into the object store, at most one part ({@code transcriber.storage.part-size}) in memory,
     * from the process's budget for parts ({@link PartBuffers}: a {@link BufferMemoryExhaustedException} when it stays
     * spent): an object that fits in one part is one PUT, a larger one (or one of unknown size that turns out larger) a
     * multipart upload. The source is read here, in the caller's thread: the MinIO client would read it in the
     * common fork-join pool (one thread on two cores), where one slow source stalls every other upload of the
     * process. A {@code size} that is known (not {@code -1}) must match what the source gives.
     */
    public void put(String key, InputStream in, long size, String contentType) {
        int partSize = (int) properties.partSize().toBytes();
        MediaType type = mediaType(contentType);
        call("put " + key, () -> {
            try (PartBuffers.Part part = buffers.read(in, partSize)) {
                int next = part.size() < partSize ? -1 : in.read();
                if (next < 0) {
                    checkSize(key, size, part.size());
                    putOnePart(key, part, type);
                } else {
                    putInParts(key, in, size, type, part, next);
                }
            }
            return null;
        });
    }

    /** One PUT of the whole object, on this thread. */
    private void putOnePart(String key, PartBuffers.Part content, MediaType type) throws Exception {
        String contentSha256 = signsPayloads ? content.sha256() : UNSIGNED_PAYLOAD;
        HttpConnections.Exchange put = exchange();
        ScheduledFuture<?> deadline = properties.timeout().isZero() // 0: no timeout, as everywhere in the store
                ? null
                : put.cancelAfter(properties.timeout());
        try (HttpConnections.Answer answer = send(put, "PUT", key, contentSha256, type, content)) {
            if (!answer.isSuccessful()) {
                throw refused("put " + key, answer);
            }
        } catch (IOException e) {
            if (put.isCancelled()) {
                throw failed("put " + key, "no answer within " + properties.timeout(), e);
            }
            throw e;
        } finally {
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }

    private HttpConnections.Exchange exchange() {
        return direct.exchange(
                objects.base().scheme(), objects.base().host(), objects.base().port());
    }

    /**
     * Sends a request for the object at {@code key}, signed in its headers as the MinIO client signs its own ({@link
     * HeaderSigner}), at the address the MinIO client uses for it ({@link ObjectPaths}), with the body's type (not
     * signed) when there is a body.
     */
    private HttpConnections.Answer send(
            HttpConnections.Exchange exchange,
            String method,
            String key,
            String contentSha256,
            MediaType type,
            HttpConnections.Payload body)
            throws IOException {
        String path = objects.path(key);
        List<Map.Entry<String, String>> headers = new ArrayList<>(6);
        headers.addAll(signer.sign(method, objects.hostHeader(), path, contentSha256));
        headers.add(Map.entry("Accept-Encoding", "identity")); // as stored: never compressed on the way
        if (type != null) {
            headers.add(Map.entry("Content-Type", type.toString()));
        }
        return exchange.send(method, path, headers, body);
    }

    /**
     * Whether an upload's signature covers its body: always, or unless the endpoint is reached over TLS or on this
     * machine's loopback (an address literal or {@code localhost}: no name is looked up to decide).
     */
    public static boolean signsPayloads(StorageProperties properties) {
        if (properties.payloadSigning() == StorageProperties.PayloadSigning.ALWAYS) {
            return true;
        }
        HttpUrl url = HttpUrl.parse(properties.endpoint());
        if (url == null) {
            return true;
        }
        return !(url.isHttps() || loopback(url.host()));
    }

    /** {@code localhost}, {@code ::1} or an IPv4 address literal in 127.0.0.0/8 (as OkHttp writes a URL's host). */
    private static boolean loopback(String host) {
        if (host.equalsIgnoreCase("localhost") || host.equals("::1")) {
            return true;
        }
        String[] octets = host.split("\\.", -1);
        if (octets.length != 4 || !octets[0].equals("127")) {
            return false;
        }
        for (String octet : octets) {
            if (!octet.matches("\\d{1,3}") || Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the MinIO client addresses an object: path style ({@code /bucket/key}) or virtual-host style ({@code
     * bucket.host/key}, which it picks for some AWS endpoints), learnt once from a URL it presigns (signed locally),
     * with the key escaped as it escapes keys.
     *
     * @param base the scheme, host and port of every object's address
     * @param hostHeader the {@code Host} header the MinIO client sends there
     * @param prefix the path before an object's escaped key
     */
    record ObjectPaths(HttpUrl base, String hostHeader, String prefix) {

        static ObjectPaths of(MinioClient client, String bucket) {
            HttpUrl probe;
            try {
                probe = HttpUrl.get(client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                        .method(Method.GET)
                        .bucket(bucket)
                        .object("probe")
                        .build()));
            } catch (Exception e) {
                throw new ObjectStoreException("object store: cannot sign for " + bucket + ": " + e.getMessage(), e);
            }
            String prefix = probe.encodedPath().substring(0, probe.encodedPath().length() - "probe".length());
            HttpUrl base = probe.newBuilder().query(null).encodedPath("/").build();
            return new ObjectPaths(base, HttpUtils.getHostHeader(base), prefix);
        }

        /**
         * The object's path as the MinIO client sends it. A key that is empty or has a {@code .} or {@code ..} segment
         * is refused, as the MinIO client refuses it for its own calls: OkHttp, which builds its URLs, would resolve
         * such a segment, and {@code ../other/key} would name another bucket.
         */
        String path(String key) {
            if (key.isEmpty()) {
                throw new IllegalArgumentException("an empty object key");
            }
            for (String segment : key.split("/")) {
                if (segment.equals(".") || segment.equals("..")) {
                    throw new IllegalArgumentException("object key " + key + " has a '.' or '..' segment");
                }
            }
            return prefix + S3Escaper.encodePath(key);
        }
    }

    /** A content type the store can be given: {@code type}, or {@code application/octet-stream} if it is none. */
    private static MediaType mediaType(String type) {
        MediaType parsed = type == null ? null : MediaType.parse(type);
        return parsed == null ? OCTET_STREAM : parsed;
    }

    /** The store's answer to a call it refused: its S3 error's message and code, and the HTTP status. */
    private static ObjectStoreException refused(String what, HttpConnections.Answer answer) throws IOException {
        String text = answer.bodyText(ERROR_BYTES); // at most this much of what the store said
        String message = element(text, "Message");
        String code = element(text, "Code");
        return failed(
                what,
                (message == null ? "" : message + " ") + "(" + (code == null ? "" : code + ", ") + "HTTP "
                        + answer.status() + ")",
                null);
    }

    /** The text of the first {@code <name>} element of an S3 error document, unescaped; null if there is none. */
    private static String element(String xml, String name) {
        Matcher found = Pattern.compile("<" + name + ">([^<]*)</" + name + ">").matcher(xml);
        if (!found.find()) {
            return null;
        }
        return found.group(1)
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
    }

    private void putInParts(String key, InputStream in, long size, MediaType type, PartBuffers.Part first, int carried)
            throws Exception {
        Multimap<String, String> headers =
                MultimapBuilder.hashKeys().arrayListValues().build();
        headers.put("Content-Type", type.toString());
        String uploadId = parts.createMultipartUploadAsync(bucket(), properties.region(), key, headers, null)
                .get()
                .result()
                .uploadId();
        try {
            List<Part> done = new ArrayList<>();
            int partSize = first.size();
            long total = uploadPart(key, uploadId, done, first);
            first.close(); // its memory is the next part's
            for (int next = carried; next >= 0; ) {
                try (PartBuffers.Part part = buffers.read(next, in, partSize)) {
                    next = part.size() < partSize ? -1 : in.read();
                    total += uploadPart(key, uploadId, done, part);
                }
            }
            checkSize(key, size, total);
            parts.completeMultipartUploadAsync(
                            bucket(), properties.region(), key, uploadId, done.toArray(Part[]::new), null, null)
                    .get();
        } catch (Exception e) {
            try {
                parts.abortMultipartUploadAsync(bucket(), properties.region(), key, uploadId, null, null)
                        .get();
            } catch (Exception abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    /** Uploads {@code part} as the next of {@code done}; its size. */
    private long uploadPart(String key, String uploadId, List<Part> done, PartBuffers.Part part) throws Exception {
        int number = done.size() + 1;
        byte[] bytes = part.toArray();
        String etag = parts.uploadPartAsync(
                        bucket(), properties.region(), key, bytes, bytes.length, uploadId, number, null, null)
                .get()
                .etag();
        done.add(new Part(number, etag));
        return bytes.length;
    }

    private static void checkSize(String key, long declared, long actual) {
        if (declared >= 0 && declared != actual) {
            throw failed("put " + key, "the source gave " + actual + " bytes of " + declared, null);
        }
    }

    /** The object's bytes as stored, read on the caller's thread as they arrive; closing the stream ends the call. */
    public InputStream open(String key) {
        return call("get " + key, () -> {
            HttpConnections.Answer answer = send(exchange(), "GET", key, Digest.ZERO_SHA256_HASH, null, null);
            if (!answer.isSuccessful()) {
                try (answer) {
                    throw refused("get " + key, answer);
                }
            }
            return answer.body();
        });
    }

    /**
     * Closes a stream of {@link #open}, or any stream read from the store, where a failure to close it has nothing
     * more to tell (the stream already failed, or its rest is not wanted).
     */
    public static void closeQuietly(InputStream stored) {
        try {
            stored.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /**
     * A URL that reads the object without credentials until {@code expiry} passes (for ffmpeg to stream it): on the
     * services' own endpoint, not for callers.
     */
    public String presignedGet(String key, Duration expiry) {
        return call(
                "presign " + key,
                () -> client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                        .method(Method.GET)
                        .bucket(bucket())
                        .object(key)
                        .expiry((int) expiry.toSeconds())
                        .build()));
    }

    /**
     * A URL that writes the object with a PUT, without credentials, until {@code expiry} passes: for a caller outside,
     * so it names the store's public endpoint ({@code transcriber.storage.public-endpoint}, else the one the services
     * use). The signature covers the host, so the URL works only where that endpoint reaches this store.
     */
    public String presignedPut(String key, Duration expiry) {
        return call(
                "presign " + key,
                () -> callerSigner.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                        .method(Method.PUT)
                        .bucket(bucket())
                        .object(key)
                        .expiry((int) expiry.toSeconds())
                        .build()));
    }

    /** The object's size, or empty when there is no such object. */
    public Optional<Long> size(String key) {
        return call("stat " + key, () -> {
            try {
                return Optional.of(client.statObject(StatObjectArgs.builder()
                                .bucket(bucket())
                                .object(key)
                                .build())
                        .size());
            } catch (ErrorResponseException e) {
                if ("NoSuchKey".equals(e.errorResponse().code())) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /** A server-side copy of {@code from} to {@code to} (no bytes pass through this process). */
    public void copy(String from, String to) {
        call(
                "copy " + from + " to " + to,
                () -> client.copyObject(CopyObjectArgs.builder()
                        .bucket(bucket())
                        .object(to)
                        .source(CopySource.builder()
                                .bucket(bucket())
                                .object(from)
                                .build())
                        .build()));
    }

    /** An object as a listing gives it: its key, and when it was last written. */
    public record Listed(String key, java.time.Instant lastModified) {}

    /**
     * Each object whose key starts with {@code prefix}, at any depth, in key order, as the store lists them a page at a
     * time (nothing held but the page): for a sweep over many objects.
     */
    public void forEach(String prefix, java.util.function.Consumer<Listed> each) {
        for (io.minio.Result<io.minio.messages.Item> result : client.listObjects(io.minio.ListObjectsArgs.builder()
                .bucket(bucket())
                .prefix(prefix)
                .recursive(true)
                .build())) {
            io.minio.messages.Item item = call("list " + prefix, result::get); // the store's failure, said as such
            each.accept(new Listed(item.objectName(), item.lastModified().toInstant())); // and the caller's its own
        }
    }

    /** The keys of the objects whose key starts with {@code prefix}, at any depth. */
    public List<String> keys(String prefix) {
        return call("list " + prefix, () -> {
            List<String> keys = new ArrayList<>();
            for (io.minio.Result<io.minio.messages.Item> item : client.listObjects(io.minio.ListObjectsArgs.builder()
                    .bucket(bucket())
                    .prefix(prefix)
                    .recursive(true)
                    .build())) {
                keys.add(item.get().objectName());
            }
            return keys;
        });
    }

    public void delete(String key) {
        call("delete " + key, () -> {
            client.removeObject(
                    RemoveObjectArgs.builder().bucket(bucket()).object(key).build());
            return null;
        });
    }

    /** Closes the connections of the calls made on the caller's thread that wait unused. */
    @Override
    public void close() {
        direct.close();
    }

    private <T> T call(String what, MinioCall<T> call) {
        try {
            return call.run();
        } catch (ObjectStoreException e) {
            throw e;
        } catch (Exception e) {
            throw failed(what, e.getMessage(), e);
        }
    }

    /** The store's failure at {@code what}, said the same way for every call: "object store: put k failed: …". */
    private static ObjectStoreException failed(String what, String reason, Throwable cause) {
        return new ObjectStoreException("object store: " + what + " failed: " + reason, cause);
    }

    @FunctionalInterface
    private interface MinioCall<T> {
        T run() throws Exception;
    }
}
