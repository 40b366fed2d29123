package dev.transcriber.common.storage;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/** Where the S3-compatible object store is (MinIO in production, s3proxy in local mode). */
@ConfigurationProperties("transcriber.storage")
public record StorageProperties(
        @DefaultValue("http://127.0.0.1:19000") String endpoint,
        @DefaultValue("transcriber") String accessKey,
        @DefaultValue("transcriber-secret") String secretKey,
        @DefaultValue("transcriber") String bucket,
        @DefaultValue("us-east-1") String region,
        @DefaultValue("8MB") DataSize partSize) {}
