package dev.transcriber.worker.support;

import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.StorageProperties;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.springframework.util.FileSystemUtils;
import org.springframework.util.unit.DataSize;

/** A real S3-compatible server (S3Proxy on a temporary folder) on 127.0.0.1, and the worker's client for it. */
public final class S3Server implements AutoCloseable {

    private static final String ACCESS = "worker-test";
    private static final String SECRET = "worker-test-secret";
    private static final String BUCKET = "transcriber";

    private final Path objects;
    private final S3Proxy proxy;
    private final ObjectStore store;
    private final MinioClient inspector;

    public S3Server() throws Exception {
        objects = Files.createTempDirectory("worker-s3");
        proxy = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(objects.toString()))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                .build();
        proxy.start();
        org.awaitility.Awaitility.await().until(() -> "STARTED".equals(proxy.getState()));
        String endpoint = "http://127.0.0.1:" + proxy.getPort();
        store = new ObjectStore(new StorageProperties(
                endpoint,
                ACCESS,
                SECRET,
                BUCKET,
                "us-east-1",
                DataSize.ofMegabytes(8),
                "",
                Duration.ofMinutes(5),
                StorageProperties.PayloadSigning.AUTO,
                null,
                Duration.ofSeconds(10)));
        store.ensureBucket();
        // the first put pays for the clients' start-up; tests that time transfers should not
        store.put("warm-up", new java.io.ByteArrayInputStream(new byte[1]), 1, "application/octet-stream");
        store.delete("warm-up");
        inspector = MinioClient.builder()
                .endpoint(endpoint)
                .credentials(ACCESS, SECRET)
                .region("us-east-1")
                .build();
    }

    public ObjectStore store() {
        return store;
    }

    /** The keys stored. */
    public List<String> keys() throws Exception {
        List<String> keys = new ArrayList<>();
        for (var item : inspector.listObjects(
                ListObjectsArgs.builder().bucket(BUCKET).recursive(true).build())) {
            keys.add(item.get().objectName());
        }
        return keys;
    }

    /** The Content-Type the object was stored with. */
    public String contentType(String key) throws Exception {
        return inspector
                .statObject(StatObjectArgs.builder().bucket(BUCKET).object(key).build())
                .contentType();
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        FileSystemUtils.deleteRecursively(objects);
    }
}
