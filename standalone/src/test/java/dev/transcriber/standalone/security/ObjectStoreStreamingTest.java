package dev.transcriber.standalone.security;

import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.storage.StorageProperties;
import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.infra.LocalObjectStore;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

/**
 * The object store client against a real S3-compatible server: uploads stream part by part (one part in memory), and
 * a source that sends slowly (a caller trickling its upload) never holds up another upload of the same process.
 */
class ObjectStoreStreamingTest {

    @TempDir
    Path objects;

    private LocalObjectStore server;
    private ObjectStore store;

    @BeforeEach
    void start() throws Exception {
        server = LocalObjectStore.start(objects, FreePorts.pick(), "streaming", "streaming-secret");
        store = new ObjectStore(properties(server.endpoint(), "streaming-secret", Duration.ofMinutes(5)));
        store.ensureBucket();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void objectsOfOneAndOfSeveralPartsComeBackByteForByte() throws Exception {
        for (int size : new int[] {0, 1000, 5 * 1024 * 1024, 5 * 1024 * 1024 + 1, 12 * 1024 * 1024 + 7}) {
            byte[] content = new byte[size];
            new Random(size).nextBytes(content);
            store.put("o" + size, new ByteArrayInputStream(content), -1, "audio/wav");
            try (InputStream back = store.open("o" + size)) {
                assertThat(back.readAllBytes()).as("%d bytes", size).isEqualTo(content);
            }
            assertThat(store.size("o" + size)).contains((long) size);
        }
    }

    @Test
    void keysWithAnyCharactersAreTheSameObjectToEveryCall() throws Exception {
        for (String key : List.of("a b/c+d", "ü/%41?x=1#y", "~tilde!*'()")) {
            byte[] content = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            store.put(key, new ByteArrayInputStream(content), content.length, null);
            try (InputStream back = store.open(key)) {
                assertThat(back.readAllBytes()).as(key).isEqualTo(content);
            }
            assertThat(store.size(key)).as(key).contains((long) content.length); // the MinIO client's own address
            assertThat(store.keys(key)).as(key).contains(key);
        }
    }

    @Test
    void aMissingObjectIsAClearError() {
        assertThatThrownBy(() -> store.open("never-stored"))
                .isInstanceOf(ObjectStoreException.class)
                .hasMessageStartingWith("object store: get never-stored failed: ")
                .hasMessageContaining("(NoSuchKey, HTTP 404)")
                .hasMessageNotContaining("<");
    }

    @Test
    void anObjectComesBackAsStoredEvenWhenItSaysItIsCompressed() throws Exception {
        // A caller's presigned upload may set Content-Encoding: gzip. Unzipped on the way back, a small upload could
        // become a large one past every size check, and its hash would change.
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(new byte[1024 * 1024]);
        }
        byte[] stored = zipped.toByteArray();
        minio().putObject(PutObjectArgs.builder().bucket("streaming").object("zipped").stream(
                        new ByteArrayInputStream(stored), stored.length, -1)
                .headers(Map.of("Content-Encoding", "gzip"))
                .build());
        try (InputStream back = store.open("zipped")) {
            assertThat(back.readAllBytes()).isEqualTo(stored);
        }
    }

    @Test
    void aStoreThatStopsAnsweringTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // never reads, never answers
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            ObjectStore stalled = new ObjectStore(
                    properties("http://127.0.0.1:" + silent.getLocalPort(), "streaming-secret", Duration.ofSeconds(1)));
            assertThatThrownBy(() -> stalled.open("anything"))
                    .isInstanceOf(ObjectStoreException.class)
                    .hasMessageStartingWith("object store: get anything failed: ");
            // one part (5 MB here), more than the socket buffers take (4 MB at most here): the PUT's writes block, and
            // only its deadline ends it
            byte[] large = new byte[4_900_000];
            assertThatThrownBy(() -> stalled.put("anything", new ByteArrayInputStream(large), large.length, null))
                    .isInstanceOf(ObjectStoreException.class)
                    .hasMessage("object store: put anything failed: no answer within PT1S");
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void aTimeoutOfZeroMeansNone() throws Exception {
        ObjectStore unbounded = new ObjectStore(properties(server.endpoint(), "streaming-secret", Duration.ZERO));
        unbounded.put("unbounded", new ByteArrayInputStream(new byte[] {7, 8}), 2, null);
        try (InputStream back = unbounded.open("unbounded")) {
            assertThat(back.readAllBytes()).containsExactly(7, 8);
        }
    }

    private static StorageProperties properties(String endpoint, String secret, Duration timeout) {
        return properties(endpoint, secret, timeout, StorageProperties.PayloadSigning.AUTO);
    }

    private static StorageProperties properties(
            String endpoint, String secret, Duration timeout, StorageProperties.PayloadSigning signing) {
        return new StorageProperties(
                endpoint,
                "streaming",
                secret,
                "streaming",
                "us-east-1",
                DataSize.ofMegabytes(5),
                "",
                timeout,
                signing,
                null,
                Duration.ofSeconds(10));
    }

    private MinioClient minio() {
        return MinioClient.builder()
                .endpoint(server.endpoint())
                .credentials("streaming", "streaming-secret")
                .region("us-east-1")
                .build();
    }

    @Test
    void theStoreRefusesCallsSignedWithTheWrongSecret() {
        store.put("guarded", new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, null);
        for (StorageProperties.PayloadSigning signing : StorageProperties.PayloadSigning.values()) {
            ObjectStore impostor =
                    new ObjectStore(properties(server.endpoint(), "not-the-secret", Duration.ofMinutes(5), signing));
            assertThatThrownBy(() -> impostor.open("guarded")).isInstanceOf(ObjectStoreException.class);
            assertThatThrownBy(() -> impostor.put("planted", new ByteArrayInputStream(new byte[] {4}), 1, null))
                    .as("signing the body: %s", signing)
                    .isInstanceOf(ObjectStoreException.class)
                    .hasMessageStartingWith("object store: put planted failed: ");
            assertThat(store.size("planted")).isEmpty();
        }
    }

    @Test
    void onTheLoopbackTheBodyIsLeftOutOfTheSignatureUnlessAlwaysSigned() throws Exception {
        WireMockServer fake =
                new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
        fake.start();
        try {
            fake.stubFor(put(anyUrl()).willReturn(ok()));
            String endpoint = "http://127.0.0.1:" + fake.port();
            byte[] content = {1, 2, 3};
            new ObjectStore(properties(endpoint, "streaming-secret", Duration.ofMinutes(5)))
                    .put("unsigned", new ByteArrayInputStream(content), 3, null);
            new ObjectStore(properties(
                            endpoint,
                            "streaming-secret",
                            Duration.ofMinutes(5),
                            StorageProperties.PayloadSigning.ALWAYS))
                    .put("signed", new ByteArrayInputStream(content), 3, null);

            fake.verify(putRequestedFor(urlPathEqualTo("/streaming/unsigned"))
                    .withHeader("x-amz-content-sha256", equalTo("UNSIGNED-PAYLOAD"))
                    .withHeader("Authorization", containing("x-amz-content-sha256")));
            fake.verify(putRequestedFor(urlPathEqualTo("/streaming/signed"))
                    .withHeader(
                            "x-amz-content-sha256",
                            equalTo("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81")));
        } finally {
            fake.stop();
        }
    }

    @Test
    void anUploadWhoseSignatureCoversItsBodyIsStoredAsOneWhoseDoesNot() throws Exception {
        // this server is on the loopback: by default the body is not signed; always: it is, and the server checks it
        assertThat(ObjectStore.signsPayloads(properties(server.endpoint(), "streaming-secret", Duration.ZERO)))
                .isFalse();
        ObjectStore signing = new ObjectStore(properties(
                server.endpoint(), "streaming-secret", Duration.ofMinutes(5), StorageProperties.PayloadSigning.ALWAYS));
        assertThat(ObjectStore.signsPayloads(properties(
                        server.endpoint(), "streaming-secret", Duration.ZERO, StorageProperties.PayloadSigning.ALWAYS)))
                .isTrue();
        byte[] content = new byte[300_000];
        new Random(3).nextBytes(content);

        signing.put("signed", new ByteArrayInputStream(content), content.length, "audio/wav");
        store.put("unsigned", new ByteArrayInputStream(content), content.length, "audio/wav");

        for (String key : List.of("signed", "unsigned")) {
            try (InputStream back = store.open(key)) {
                assertThat(back.readAllBytes()).as(key).isEqualTo(content);
            }
        }
    }

    @Test
    void anUploadKeepsItsContentType() throws Exception {
        store.put("typed", new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, "audio/ogg");
        assertThat(minio().statObject(StatObjectArgs.builder()
                                .bucket("streaming")
                                .object("typed")
                                .build())
                        .contentType())
                .isEqualTo("audio/ogg");
    }

    @Test
    void aSizeThatDoesNotMatchTheSourceStoresNothing() {
        byte[] content = new byte[6 * 1024 * 1024];
        assertThatThrownBy(() -> store.put("short", new ByteArrayInputStream(content), content.length + 10L, null))
                .isInstanceOf(ObjectStoreException.class);
        assertThat(store.size("short")).isEmpty();
    }

    @Test
    void aSlowSourceDoesNotHoldUpOtherUploads() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        InputStream stalled = new InputStream() {
            private boolean sent;

            @Override
            public int read() {
                if (!sent) {
                    sent = true;
                    return 'x';
                }
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return -1;
            }
        };
        CompletableFuture<Void> slow = CompletableFuture.runAsync(
                () -> store.put("slow", stalled, -1, null), Executors.newVirtualThreadPerTaskExecutor());
        try {
            for (int i = 0; i < 5; i++) {
                String key = "fast" + i;
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    store.put(key, new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, null);
                    assertThat(store.size(key)).contains(3L);
                });
            }
            assertThat(slow).isNotDone();
        } finally {
            release.countDown();
        }
        slow.get();
        assertThat(store.size("slow")).contains(1L);
    }
}
