package dev.transcriber.common.storage;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Where the S3-compatible object store is (MinIO in production, s3proxy in local mode). {@code endpoint} is the
 * address the services reach it at; {@code publicEndpoint} ({@code S3_PUBLIC_ENDPOINT}) the one a client outside
 * reaches the same store at, used only to sign the presigned upload URLs handed to callers (signed locally, no call to
 * the store). Unset, it is {@code endpoint}: right where both are the same, as in local mode.
 *
 * @param endpoint The S3-compatible store's address as the services reach it.
 * @param accessKey The store's access key.
 * @param secretKey The store's secret key; no built-in value (the service does not start without one).
 * @param bucket The bucket holding audio, pieces and transcripts; created if missing.
 * @param region The region requests are signed for.
 * @param partSize The size of each part of an upload to the store; at most one part per upload is held in memory.
 * @param publicEndpoint The address callers reach the same store at, used only to sign presigned upload URLs; empty:
 *     {@code endpoint}.
 * @param timeout How long a call to the store may wait for a byte, and how long the upload of an object that fits in
 *     one part may take; 0: no limit.
 * @param payloadSigning Whether an upload's signature covers its body (its SHA-256): auto: not where the link protects
 *     the body already (an https endpoint, or this machine's loopback), always: everywhere.
 * @param bufferMemory The memory all uploads of a service together may hold in parts on their way to the store (a
 *     slow sender keeps its part in memory as long as it trickles); unset: a quarter of the heap. A part of a
 *     multipart upload is briefly held twice while it is copied for the store's client.
 * @param bufferWait How long an upload that finds that memory spent waits for some to be given back before it is
 *     refused (a caller's request with 503 {@code server_busy}).
 */
@ConfigurationProperties("transcriber.storage")
public record StorageProperties(
        @DefaultValue("http://127.0.0.1:19000") String endpoint,
        @DefaultValue("transcriber") String accessKey,
        String secretKey,
        @DefaultValue("transcriber") String bucket,
        @DefaultValue("us-east-1") String region,
        @DefaultValue("8MB") DataSize partSize,
        @DefaultValue("") String publicEndpoint,
        @DefaultValue("5m") Duration timeout,
        @DefaultValue("auto") PayloadSigning payloadSigning,
        DataSize bufferMemory,
        @DefaultValue("10s") Duration bufferWait) {

    public StorageProperties {
        if (secretKey == null || secretKey.isBlank()) {
            throw new IllegalArgumentException("transcriber.storage.secret-key (S3_SECRET_KEY) is not set: the object"
                    + " store's credentials have no built-in value");
        }
    }

    /** Whether an upload's signature covers its body, the SHA-256 of which both ends then compute. */
    public enum PayloadSigning {
        /**
         * Not where the link protects the body already: TLS (an {@code https} endpoint), or this machine's loopback
         * ({@code localhost}, {@code 127.x.x.x}, {@code ::1}; a port forwarded from there to another machine over plain
         * HTTP is not protected: use {@link #ALWAYS}). Elsewhere (plain HTTP between machines) it is signed.
         */
        AUTO,
        /** Everywhere. */
        ALWAYS
    }

    /** The endpoint presigned URLs for callers name: {@code publicEndpoint}, or {@code endpoint} when unset. */
    public String callerEndpoint() {
        return publicEndpoint == null || publicEndpoint.isBlank() ? endpoint : publicEndpoint;
    }
}
