package dev.transcriber.common.storage;

import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import okhttp3.OkHttpClient;

/** The S3-compatible object store, reached through the MinIO client. Audio always passes through as a stream. */
public class ObjectStore {

    private final MinioClient client;
    private final StorageProperties properties;

    public ObjectStore(StorageProperties properties) {
        this.properties = properties;
        OkHttpClient http = new OkHttpClient.Builder()
                .socketFactory(new NoDelaySocketFactory())
                .connectTimeout(Duration.ofSeconds(10))
                .writeTimeout(Duration.ofMinutes(5))
                .readTimeout(Duration.ofMinutes(5))
                .build();
        this.client = MinioClient.builder()
                .endpoint(properties.endpoint())
                .credentials(properties.accessKey(), properties.secretKey())
                .region(properties.region())
                .httpClient(http)
                .build();
    }

    public String bucket() {
        return properties.bucket();
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
     * Streams {@code in} into the object store. With an unknown size ({@code -1}) the client sends multipart parts
     * of {@code transcriber.storage.part-size}, so at most one part is in memory.
     */
    public void put(String key, InputStream in, long size, String contentType) {
        long partSize = size >= 0 ? -1 : properties.partSize().toBytes();
        call(
                "put " + key,
                () -> client.putObject(PutObjectArgs.builder().bucket(bucket()).object(key).stream(in, size, partSize)
                        .contentType(contentType == null ? "application/octet-stream" : contentType)
                        .build()));
    }

    public InputStream open(String key) {
        return call(
                "get " + key,
                () -> client.getObject(
                        GetObjectArgs.builder().bucket(bucket()).object(key).build()));
    }

    /** A URL that reads the object without credentials until {@code expiry} passes (for ffmpeg to stream it). */
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

    /** A URL that writes the object with a PUT, without credentials, until {@code expiry} passes. */
    public String presignedPut(String key, Duration expiry) {
        return call(
                "presign " + key,
                () -> client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
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
