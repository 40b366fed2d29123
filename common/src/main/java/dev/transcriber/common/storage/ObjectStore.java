package dev.transcriber.common.storage;

import com.google.common.collect.Multimap;
import com.google.common.collect.MultimapBuilder;
import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import io.minio.messages.Part;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/**
 * The S3-compatible object store, reached through the MinIO client. Audio always passes through as a stream.
 *
 * <p>The two calls on every job's path, storing an upload that fits in one part and reading an object, go out on the
 * caller's own thread: a URL signed here for a few minutes (as the MinIO client signs any presigned URL, with no call
 * to the store), sent with OkHttp's blocking call. The MinIO client would run each of them as an asynchronous call:
 * a hop to the common fork-join pool to read the source, one to OkHttp's dispatcher threads for the exchange, one
 * back to the waiting caller, and a wake-up of Okio's watchdog thread around every timed socket read and write. On
 * a request held open that was about 60 thread switches per job (measured in {@code bench/sync-latency.sh}). The
 * signature covers the method, bucket, key and expiry but not the body ({@code UNSIGNED-PAYLOAD}, as for every
 * presigned URL), which spares a SHA-256 of each upload: reach the store over TLS where the network between is not
 * trusted. Reads time out on the socket itself ({@link NoDelaySocketFactory}), and a PUT as a whole after {@link
 * #TIMEOUT}. Everything else (multipart uploads, stat, copy, list, delete) goes through the MinIO client.
 */
public class ObjectStore {

    private final MinioClient client;
    /** For multipart uploads fed part by part from the caller's thread. */
    private final MinioAsyncClient parts;
    /**
     * Signs the presigned URLs handed to callers, for the endpoint they reach the store at
     * ({@link StorageProperties#callerEndpoint()}). It never calls the store: with the region given, signing is local.
     */
    private final MinioClient callerSigner;

    /**
     * For the calls made on the caller's thread: the same connections as the MinIO client's, without Okio's timeouts
     * around each socket read and write (the socket's own read timeout applies, and a PUT has a call timeout).
     */
    private final OkHttpClient direct;

    private final StorageProperties properties;

    /** How long a read from the store may wait for a byte, and how long one PUT may take. */
    static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** How long a URL signed for one call of this process stays valid: it is used at once. */
    private static final int SIGNED_FOR_SECONDS = 300;

    private static final long ERROR_BYTES = 16 * 1024;

    private static final Pattern S3_MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");

    public ObjectStore(StorageProperties properties) {
        this.properties = properties;
        OkHttpClient http = new OkHttpClient.Builder()
                .socketFactory(new NoDelaySocketFactory(TIMEOUT))
                .connectTimeout(Duration.ofSeconds(10))
                .writeTimeout(TIMEOUT)
                .readTimeout(TIMEOUT)
                .build();
        this.direct = http.newBuilder()
                .writeTimeout(Duration.ZERO)
                .readTimeout(Duration.ZERO)
                .build();
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
     * Streams {@code in} into the object store, at most one part ({@code transcriber.storage.part-size}) in memory:
     * an object that fits in one part is one PUT, a larger one (or one of unknown size that turns out larger) a
     * multipart upload. The source is read here, in the caller's thread: the MinIO client would read it in the
     * common fork-join pool (one thread on two cores), where one slow source stalls every other upload of the
     * process. A {@code size} that is known (not {@code -1}) must match what the source gives.
     */
    public void put(String key, InputStream in, long size, String contentType) {
        int partSize = (int) properties.partSize().toBytes();
        String type = contentType == null ? "application/octet-stream" : contentType;
        call("put " + key, () -> {
            byte[] part = in.readNBytes(partSize);
            int next = part.length < partSize ? -1 : in.read();
            if (next < 0) {
                checkSize(key, size, part.length);
                putOnePart(key, part, type);
                return null;
            }
            putInParts(key, in, size, type, part, (byte) next);
            return null;
        });
    }

    /** One PUT of the whole object, on this thread. */
    private void putOnePart(String key, byte[] content, String type) throws Exception {
        MediaType mediaType = MediaType.parse(type);
        Call put = direct.newCall(new Request.Builder()
                .url(signed(Method.PUT, key))
                .put(RequestBody.create(
                        content, mediaType == null ? MediaType.get("application/octet-stream") : mediaType))
                .build());
        put.timeout().timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        try (Response response = put.execute()) {
            if (!response.isSuccessful()) {
                throw refused("put " + key, response);
            }
        }
    }

    private String signed(Method method, String key) throws Exception {
        return client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                .method(method)
                .bucket(bucket())
                .object(key)
                .expiry(SIGNED_FOR_SECONDS)
                .build());
    }

    /** The store's answer to a call it refused, as the S3 error's message (or the HTTP status, without one). */
    private static ObjectStoreException refused(String what, Response response) throws IOException {
        String text = "";
        ResponseBody body = response.body();
        if (body != null) {
            BufferedSource source = body.source();
            source.request(ERROR_BYTES); // at most this much of what the store said
            text = source.getBuffer()
                    .readUtf8(Math.min(ERROR_BYTES, source.getBuffer().size()));
        }
        Matcher message = S3_MESSAGE.matcher(text);
        String reason = message.find() ? message.group(1) : "HTTP " + response.code();
        return new ObjectStoreException("object store: " + what + " failed: " + reason, null);
    }

    private void putInParts(String key, InputStream in, long size, String type, byte[] first, byte carried)
            throws Exception {
        Multimap<String, String> headers =
                MultimapBuilder.hashKeys().arrayListValues().build();
        headers.put("Content-Type", type);
        String uploadId = parts.createMultipartUploadAsync(bucket(), properties.region(), key, headers, null)
                .get()
                .result()
                .uploadId();
        try {
            List<Part> done = new ArrayList<>();
            long total = 0;
            byte[] part = first;
            int carry = carried & 0xff;
            while (part.length > 0) {
                int number = done.size() + 1;
                String etag = parts.uploadPartAsync(
                                bucket(), properties.region(), key, part, part.length, uploadId, number, null, null)
                        .get()
                        .etag();
                done.add(new Part(number, etag));
                total += part.length;
                if (carry < 0) {
                    break;
                }
                byte[] rest = in.readNBytes(first.length - 1);
                part = new byte[rest.length + 1];
                part[0] = (byte) carry;
                System.arraycopy(rest, 0, part, 1, rest.length);
                carry = rest.length < first.length - 1 ? -1 : in.read();
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

    private static void checkSize(String key, long declared, long actual) {
        if (declared >= 0 && declared != actual) {
            throw new ObjectStoreException(
                    "object store: put " + key + " failed: the source gave " + actual + " bytes of " + declared, null);
        }
    }

    /** The object's bytes as they arrive, read on the caller's thread; closing the stream ends the call. */
    public InputStream open(String key) {
        return call("get " + key, () -> {
            Response response = direct.newCall(
                            new Request.Builder().url(signed(Method.GET, key)).build())
                    .execute();
            if (!response.isSuccessful()) {
                try (response) {
                    throw refused("get " + key, response);
                }
            }
            return response.body().byteStream();
        });
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

    private <T> T call(String what, MinioCall<T> call) {
        try {
            return call.run();
        } catch (ObjectStoreException e) {
            throw e;
        } catch (Exception e) {
            throw new ObjectStoreException("object store: " + what + " failed: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface MinioCall<T> {
        T run() throws Exception;
    }
}
