package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.sun.net.httpserver.HttpServer;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.store.BatchItem;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.WebhookReceiver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/transcription_batches} on real infrastructure of its own: lists, a podcast feed and archives served or
 * uploaded by the test, expanded into bulk jobs by the worker; results in order; cancel; reuse of transcripts; refused
 * archives; and fair sharing of the bulk lane between keys.
 */
class BatchesFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";
    private static final long ARCHIVE_LIMIT = 2 * 1024 * 1024;

    private static TestSystem.Isolated isolated;
    private static HttpServer files;
    private static final Map<String, byte[]> served = new java.util.concurrent.ConcurrentHashMap<>();

    private WireMockServer upstream;
    private ApiClient client;

    @BeforeAll
    static void start() throws Exception {
        List<String> network = List.of("--transcriber.network.allow-list=127.0.0.1");
        List<String> worker = new ArrayList<>(network);
        worker.addAll(List.of(
                "--transcriber.worker.max-in-flight-bulk=4",
                "--transcriber.admission.bulk-window=8",
                "--transcriber.admission.interval=100ms",
                "--transcriber.batches.expand-interval=100ms",
                "--transcriber.batches.max-archive-expanded-size=" + ARCHIVE_LIMIT + "B"));
        isolated = TestSystem.isolated(worker, network);
        files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        files.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        files.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = served.get(exchange.getRequestURI().getPath());
                if (body == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        files.start();
        served.put("/a.wav", TestAudio.toneWav(0.5));
        served.put("/b.wav", TestAudio.toneWav(0.6));
        served.put("/c.wav", TestAudio.toneWav(0.7));
    }

    @AfterAll
    static void stop() {
        isolated.close();
        files.stop(0);
    }

    @BeforeEach
    void setUp() {
        upstream = isolated.system().upstream();
        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"episode text\"}")));
        client = new ApiClient(isolated.system().apiBaseUrl());
    }

    private static String served(String path) {
        return "http://127.0.0.1:" + files.getAddress().getPort() + path;
    }

    @Test
    void aListOfItemsBecomesJobsThatFinishWithResultsInItemOrderAndABatchWebhook() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            String upload = upload(TestAudio.toneWav(0.8), TestSystem.API_KEY);
            HttpResponse<String> accepted = submit(
                    TestSystem.API_KEY,
                    "{\"model\":\"whisper-1\",\"response_format\":\"text\",\"reuse\":false,\"metadata\":{\"show\":\"s1\"},"
                            + "\"webhook_url\":\"" + receiver.url() + "\",\"items\":["
                            + "{\"audio_url\":\"" + served("/a.wav") + "\",\"metadata\":{\"n\":\"0\"}},"
                            + "{\"audio_url\":\"" + served("/b.wav") + "\",\"metadata\":{\"n\":\"1\"}},"
                            + "{\"upload_id\":\"" + upload + "\",\"metadata\":{\"n\":\"2\"}},"
                            + "{\"audio_url\":\"" + served("/missing.wav") + "\",\"metadata\":{\"n\":\"3\"}}]}");

            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            JsonNode batch = JSON.readTree(accepted.body());
            assertThat(batch.path("status").asString()).isIn("expanding", "in_progress");
            if (batch.path("status").asString().equals("expanding")) {
                assertThat(batch.path("audio_seconds").has("remaining"))
                        .as("nothing is known before expansion")
                        .isFalse();
            }
            JsonNode done = awaitBatch(batch.path("id").asString(), TestSystem.API_KEY, "completed");

            assertThat(done.path("counts").toString())
                    .isEqualTo("{\"total\":4,\"queued\":0,\"running\":0,\"succeeded\":3,\"failed\":1,\"cancelled\":0}");
            assertThat(done.path("audio_seconds").path("done").asDouble()).isCloseTo(1.9, within());
            List<JsonNode> lines = results(batch.path("id").asString(), TestSystem.API_KEY);
            assertThat(lines).hasSize(4);
            for (int i = 0; i < 4; i++) {
                assertThat(lines.get(i).path("index").asInt()).isEqualTo(i);
                assertThat(lines.get(i).path("metadata").path("n").asString()).isEqualTo(String.valueOf(i));
                assertThat(lines.get(i).path("metadata").path("show").asString())
                        .isEqualTo("s1");
            }
            assertThat(lines.get(0).path("transcript").asString()).isEqualTo("episode text\n");
            assertThat(lines.get(2).path("status").asString()).isEqualTo("succeeded");
            assertThat(lines.get(3).path("status").asString()).isEqualTo("failed");
            assertThat(lines.get(3).path("error").path("message").asString()).contains("HTTP 404");

            JsonNode page = JSON.readTree(get(
                            "/v1/transcription_batches/" + batch.path("id").asString() + "/jobs?limit=3",
                            TestSystem.API_KEY)
                    .body());
            assertThat(page.path("data")).hasSize(3);
            assertThat(page.path("has_more").asBoolean()).isTrue();
            JsonNode rest = JSON.readTree(get(
                            "/v1/transcription_batches/" + batch.path("id").asString() + "/jobs?after="
                                    + page.path("last_id").asString(),
                            TestSystem.API_KEY)
                    .body());
            assertThat(rest.path("data")).hasSize(1);
            assertThat(rest.path("data").get(0).path("id").asString())
                    .isEqualTo(lines.get(3).path("job_id").asString());
            assertThat(get("/v1/transcription_batches/" + batch.path("id").asString(), TestSystem.OTHER_API_KEY)
                            .statusCode())
                    .as("another key's batch is not found")
                    .isEqualTo(404);

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !receiver.received().isEmpty());
            JsonNode event = JSON.readTree(receiver.received().get(0).body());
            assertThat(event.path("type").asString()).isEqualTo("transcription_batch.completed");
            assertThat(event.path("data").path("id").asString())
                    .isEqualTo(batch.path("id").asString());
            assertThat(receiver.received()).as("no per-job events unless asked").hasSize(1);
        }
    }

    @Test
    void aPodcastFeedBecomesOneItemPerEpisodeEnclosureWithItsTitleGuidAndDate() throws Exception {
        served.put(
                "/feed.xml",
                ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>The Show</title>"
                                + episode("Episode 1", "ep-1", "Mon, 02 Nov 2026 10:00:00 GMT", served("/a.wav"))
                                + "<item><title>Trailer (text only)</title><guid>ep-0</guid></item>"
                                + episode("Episode 2", "ep-2", "Mon, 09 Nov 2026 10:00:00 GMT", served("/b.wav"))
                                + "</channel></rss>")
                        .getBytes(StandardCharsets.UTF_8));

        WebhookReceiver receiver = new WebhookReceiver();
        String id = submitted(
                TestSystem.API_KEY,
                "{\"model\":\"whisper-1\",\"reuse\":false,\"job_webhooks\":true,\"webhook_url\":\"" + receiver.url()
                        + "\",\"feed_url\":\"" + served("/feed.xml") + "\"}");

        JsonNode done = awaitBatch(id, TestSystem.API_KEY, "completed");
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 3);
        assertThat(receiver.received().stream()
                        .map(r -> JSON.readTree(r.body()).path("type").asString())
                        .sorted()
                        .toList())
                .as("each episode's own event, and the batch's")
                .containsExactly(
                        "transcription_batch.completed", "transcription_job.succeeded", "transcription_job.succeeded");
        receiver.close();
        assertThat(done.path("source").path("type").asString()).isEqualTo("feed");
        assertThat(done.path("counts").path("total").asInt()).isEqualTo(2);
        assertThat(done.path("counts").path("succeeded").asInt()).isEqualTo(2);
        assertThat(done.path("skipped").toString())
                .isEqualTo("[{\"name\":\"Trailer (text only)\",\"reason\":\"no audio enclosure\"}]");
        List<JsonNode> lines = results(id, TestSystem.API_KEY);
        assertThat(lines.get(0).path("metadata").toString())
                .isEqualTo(
                        "{\"guid\":\"ep-1\",\"published\":\"Mon, 02 Nov 2026 10:00:00 GMT\",\"title\":\"Episode 1\"}");
        assertThat(lines.get(1).path("metadata").path("guid").asString()).isEqualTo("ep-2");
        assertThat(lines.get(1).path("transcript").path("text").asString()).isEqualTo("episode text");

        HttpResponse<String> privateFeed =
                submit(TestSystem.API_KEY, "{\"model\":\"whisper-1\",\"feed_url\":\"http://10.1.2.3/feed.xml\"}");
        assertThat(privateFeed.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(privateFeed.body()).path("error").path("param").asString())
                .isEqualTo("feed_url");
        served.put("/not-a-feed.xml", "<html><body>hello</body></html>".getBytes(StandardCharsets.UTF_8));
        String html = submitted(
                TestSystem.API_KEY, "{\"model\":\"whisper-1\",\"feed_url\":\"" + served("/not-a-feed.xml") + "\"}");
        assertThat(awaitBatch(html, TestSystem.API_KEY, "failed")
                        .path("error")
                        .path("code")
                        .asString())
                .isEqualTo("invalid_feed");
        JsonNode listed = JSON.readTree(
                get("/v1/transcription_batches?limit=1", TestSystem.API_KEY).body());
        assertThat(listed.path("data").get(0).path("id").asString())
                .as("newest first")
                .isEqualTo(html);
        assertThat(listed.path("has_more").asBoolean()).isTrue();
        JsonNode next = JSON.readTree(get("/v1/transcription_batches?limit=1&after=" + html, TestSystem.API_KEY)
                .body());
        assertThat(next.path("data").get(0).path("id").asString()).isEqualTo(id);
    }

    @Test
    void anArchiveBecomesOneItemPerAudioFileAndOtherFilesAreListedAsSkipped() throws Exception {
        byte[] zip = zip(Map.of(
                "show/ep1.wav", TestAudio.toneWav(0.5),
                "show/extra/ep2.wav", TestAudio.toneWav(0.6),
                "show/notes.txt", "liner notes".getBytes(StandardCharsets.UTF_8)));
        String upload = upload(zip, TestSystem.API_KEY);

        String id = submitted(
                TestSystem.API_KEY,
                "{\"model\":\"whisper-1\",\"reuse\":false,\"archive_upload_id\":\"" + upload + "\"}");

        JsonNode done = awaitBatch(id, TestSystem.API_KEY, "completed");
        assertThat(done.path("counts").path("succeeded").asInt()).isEqualTo(2);
        assertThat(get("/v1/transcription_batches/" + id, TestSystem.API_KEY).body())
                .as("each skipped entry names the file, then the reason")
                .contains("\"skipped\":[{\"name\":\"show/notes.txt\",\"reason\":\"not an audio file\"}]");
        isolated.system()
                .api()
                .getBean(JdbcClient.class)
                .sql("update transcription_batches set skipped = :legacy where id = :id")
                .param("legacy", "[{\"reason\":\"not an audio file\",\"name\":\"show/notes.txt\"}]")
                .param("id", java.util.UUID.fromString(id))
                .update();
        assertThat(get("/v1/transcription_batches/" + id, TestSystem.API_KEY).body())
                .as("a row written before the entries were a record, its keys in the other order, reads the same")
                .contains("\"skipped\":[{\"name\":\"show/notes.txt\",\"reason\":\"not an audio file\"}]");
        assertThat(results(id, TestSystem.API_KEY).stream()
                        .map(line -> line.path("metadata").path("filename").asString())
                        .sorted()
                        .toList())
                .containsExactly("show/ep1.wav", "show/extra/ep2.wav");
        assertThat(isolated.system().objectStore().size("uploads/" + upload))
                .as("the archive itself is not kept once its files are items")
                .isEmpty();
        assertThat(isolated.system().objectStore().keys(ObjectKeys.claimedUploads(upload)))
                .as("nor the batch's copy of it")
                .isEmpty();

        byte[] tarGz = tarGz(Map.of("a.wav", TestAudio.toneWav(0.5), "cover.jpg", new byte[] {1, 2, 3}));
        String tarBatch = submitted(
                TestSystem.API_KEY,
                "{\"model\":\"whisper-1\",\"reuse\":false,\"archive_upload_id\":\"" + upload(tarGz, TestSystem.API_KEY)
                        + "\"}");
        JsonNode tarDone = awaitBatch(tarBatch, TestSystem.API_KEY, "completed");
        assertThat(tarDone.path("counts").path("succeeded").asInt()).isEqualTo(1);
        assertThat(tarDone.path("skipped").toString())
                .isEqualTo("[{\"name\":\"cover.jpg\",\"reason\":\"not an audio file\"}]");
    }

    @Test
    void anArchiveWithPathTraversalOrThatExpandsBeyondTheLimitIsRefusedWithNothingLeft() throws Exception {
        String traversal = upload(
                zip(Map.of("ok.wav", TestAudio.toneWav(0.5), "../../etc/evil.wav", TestAudio.toneWav(0.5))),
                TestSystem.API_KEY);
        String bomb = upload(zip(Map.of("zeros.wav", new byte[(int) ARCHIVE_LIMIT + 1024 * 1024])), TestSystem.API_KEY);

        for (String upload : List.of(traversal, bomb)) {
            String id =
                    submitted(TestSystem.API_KEY, "{\"model\":\"whisper-1\",\"archive_upload_id\":\"" + upload + "\"}");
            JsonNode failed = awaitBatch(id, TestSystem.API_KEY, "failed");

            assertThat(failed.path("error").path("code").asString()).isEqualTo("invalid_archive");
            assertThat(failed.path("counts").path("total").asInt()).isZero();
            assertThat(isolated.system().objectStore().size("uploads/" + upload))
                    .isEmpty();
            assertThat(isolated.system().objectStore().keys(ObjectKeys.claimedUploads(upload)))
                    .isEmpty();
            assertThat(isolated.system().objectStore().keys(ObjectKeys.batchItems(java.util.UUID.fromString(id))))
                    .as("no extracted file is left")
                    .isEmpty();
            assertThat(results(id, TestSystem.API_KEY)).isEmpty();
            if (upload.equals(traversal)) {
                assertThat(failed.path("error").path("message").asString()).contains("path traversal");
            } else {
                assertThat(failed.path("error").path("message").asString())
                        .contains("expands beyond the limit of " + ARCHIVE_LIMIT + " bytes");
            }
        }
    }

    @Test
    void aBatchWhoseExpandingWorkerDiedIsExpandedAfreshByAnother() {
        var api = isolated.system().api();
        java.util.UUID keyId = keyId();
        java.util.UUID batchId = java.util.UUID.randomUUID();
        JobSpec spec = new JobSpec("whisper-1", "json", null, null, null);
        List<BatchItem> items = List.of(
                new BatchItem(JobId.random().toString(), served("/a.wav"), null, null, Map.of("n", "0")),
                new BatchItem(JobId.random().toString(), served("/b.wav"), null, null, Map.of("n", "1")));
        JobId leftOver = JobId.random();
        api.getBean(TransactionTemplate.class).executeWithoutResult(status -> {
            java.time.Instant now = java.time.Instant.now();
            TranscriptionBatch batch = itemsBatch(batchId, keyId, items, spec, now);
            batch.takeExpansion("a-worker-that-died", now.plusSeconds(2)); // it wrote one item, then died
            api.getBean(BatchRepository.class).save(batch);
            isolated.system()
                    .jobs()
                    .save(TranscriptionJob.batchItem(
                            leftOver,
                            batch,
                            0,
                            spec,
                            new StoredAudio("jobs/" + leftOver + "/source", "a.wav", null, 0),
                            Map.of("n", "0"),
                            now));
        });

        JsonNode done = awaitBatch(batchId.toString(), TestSystem.API_KEY, "completed");

        assertThat(done.path("counts").path("succeeded").asInt()).isEqualTo(2);
        List<JsonNode> lines = results(batchId.toString(), TestSystem.API_KEY);
        assertThat(lines.stream().map(l -> l.path("job_id").asString()).toList())
                .as("the expansion started over: the dead worker's item is gone, each item is there once")
                .containsExactly(items.get(0).job_id(), items.get(1).job_id());
        assertThat(isolated.system().jobs().findById(leftOver.value())).isEmpty();

        java.util.UUID breaksEveryWorker = java.util.UUID.randomUUID();
        api.getBean(TransactionTemplate.class).executeWithoutResult(status -> {
            java.time.Instant now = java.time.Instant.now();
            TranscriptionBatch batch = itemsBatch(breaksEveryWorker, keyId, items, spec, now);
            for (int attempt = 0; attempt < 3; attempt++) {
                batch.takeExpansion("worker-" + attempt, now.minusSeconds(1)); // each died, claims ran out
            }
            api.getBean(BatchRepository.class).save(batch);
        });
        assertThat(awaitBatch(breaksEveryWorker.toString(), TestSystem.API_KEY, "failed")
                        .path("error")
                        .path("code")
                        .asString())
                .as("a source that broke three workers is not tried for ever")
                .isEqualTo("expansion_failed");
    }

    @Test
    void aBatchThatEndsBeforeEachOfItsFilesIsAJobLeavesNoObjectBehind() {
        var api = isolated.system().api();
        var store = isolated.system().objectStore();
        java.util.UUID keyId = keyId();
        JobSpec spec = new JobSpec("whisper-1", "json", null, null, null);
        byte[] audio = TestAudio.toneWav(0.2);
        java.util.function.Consumer<String> stored =
                key -> store.put(key, new java.io.ByteArrayInputStream(audio), audio.length, "audio/wav");

        // an items batch of uploads whose source broke every worker that took it
        JobId brokenItem = JobId.random();
        String brokenCopy = ObjectKeys.claimedUpload("upload-" + brokenItem, brokenItem);
        stored.accept(brokenCopy);
        java.util.UUID broken = java.util.UUID.randomUUID();
        // items batches of uploads and an archive batch, cancelled by their owner while a worker held them
        JobId cancelledItem = JobId.random();
        String cancelledCopy = ObjectKeys.claimedUpload("upload-" + cancelledItem, cancelledItem);
        stored.accept(cancelledCopy);
        java.util.UUID cancelledItems = java.util.UUID.randomUUID();
        java.util.UUID cancelledArchive = java.util.UUID.randomUUID();
        String archiveCopy = ObjectKeys.claimedUpload("upload-" + cancelledArchive, JobId.random());
        stored.accept(archiveCopy);
        String written = ObjectKeys.batchItem(cancelledArchive, JobId.random()); // taken out, not yet an item
        String anItem =
                ObjectKeys.batchItem(cancelledArchive, JobId.random()); // an item: its job's retention removes it
        stored.accept(written);
        stored.accept(anItem);
        api.getBean(TransactionTemplate.class).executeWithoutResult(status -> {
            java.time.Instant now = java.time.Instant.now();
            TranscriptionBatch failing = itemsBatch(
                    broken,
                    keyId,
                    List.of(new BatchItem(brokenItem.toString(), null, brokenCopy, (long) audio.length, Map.of())),
                    spec,
                    now);
            for (int attempt = 0; attempt < 3; attempt++) {
                failing.takeExpansion("worker-" + attempt, now.minusSeconds(1));
            }
            TranscriptionBatch items = itemsBatch(
                    cancelledItems,
                    keyId,
                    List.of(new BatchItem(
                            cancelledItem.toString(), null, cancelledCopy, (long) audio.length, Map.of())),
                    spec,
                    now);
            items.takeExpansion("a-busy-worker", now.plus(Duration.ofHours(1)));
            TranscriptionBatch archive = TranscriptionBatch.expanding(
                    cancelledArchive,
                    keyId,
                    BatchSource.ARCHIVE,
                    archiveCopy,
                    api.getBean(JsonMapper.class).writeValueAsString(spec),
                    null,
                    null,
                    false,
                    false,
                    now);
            archive.takeExpansion("a-busy-worker", now.plus(Duration.ofHours(1)));
            BatchRepository batches = api.getBean(BatchRepository.class);
            batches.saveAll(List.of(failing, items, archive));
            isolated.system()
                    .jobs()
                    .save(TranscriptionJob.batchItem(
                            JobId.random(),
                            archive,
                            1,
                            spec,
                            new StoredAudio(anItem, "b.wav", null, audio.length),
                            Map.of(),
                            now));
        });
        awaitBatch(broken.toString(), TestSystem.API_KEY, "failed");
        for (java.util.UUID id : List.of(cancelledItems, cancelledArchive)) {
            HttpResponse<String> cancelled = client.send(client.request("/v1/transcription_batches/" + id + "/cancel")
                    .header("Authorization", "Bearer " + TestSystem.API_KEY)
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
            assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
            awaitBatch(id.toString(), TestSystem.API_KEY, "cancelled");
        }

        isolated.system()
                .worker()
                .getBean(dev.transcriber.worker.retention.RetentionSweeper.class)
                .sweep(java.time.Instant.now().plus(Duration.ofHours(2))); // past the hour an expander may still write

        assertThat(List.of(brokenCopy, cancelledCopy, archiveCopy, written).stream()
                        .filter(key -> store.size(key).isPresent())
                        .toList())
                .as("the uploads no job took, the archive and the file taken out of it that no job names")
                .isEmpty();
        assertThat(store.size(anItem))
                .as("a cancelled item's audio goes with its job's")
                .isPresent();
    }

    @Test
    void aRetentionSweepWhileTheObjectStoreIsDownLeavesItsWorkForTheNextSweep() throws Exception {
        var store = isolated.system().objectStore();
        String job = client.transcribe(
                        new Multipart()
                                .field("model", "whisper-1")
                                .file("file", "r.wav", "audio/wav", TestAudio.toneWav(0.3)),
                        TestSystem.API_KEY)
                .headers()
                .firstValue("X-Transcription-Job-Id")
                .orElseThrow();
        String audio = ObjectKeys.sourceAudio(JobId.parse(job));
        String upload = "uploads/" + upload(TestAudio.toneWav(0.3), TestSystem.API_KEY);
        JobId item = JobId.random();
        String copy = ObjectKeys.claimedUpload("upload-" + item, item);
        byte[] bytes = TestAudio.toneWav(0.2);
        store.put(copy, new java.io.ByteArrayInputStream(bytes), bytes.length, "audio/wav");
        java.util.UUID batch = java.util.UUID.randomUUID();
        java.util.UUID keyId = keyId();
        isolated.system().api().getBean(TransactionTemplate.class).executeWithoutResult(status -> {
            java.time.Instant now = java.time.Instant.now();
            TranscriptionBatch cancelled = itemsBatch(
                    batch,
                    keyId,
                    List.of(new BatchItem(item.toString(), null, copy, (long) bytes.length, Map.of())),
                    new JobSpec("whisper-1", "json", null, null, null),
                    now);
            cancelled.cancel(false, now); // before any worker expanded it
            isolated.system().api().getBean(BatchRepository.class).save(cancelled);
        });
        List<String> objects = List.of(audio, upload, copy);
        assertThat(objects.stream().filter(key -> store.size(key).isEmpty()).toList())
                .isEmpty();
        var sweeper = isolated.system().worker().getBean(dev.transcriber.worker.retention.RetentionSweeper.class);

        isolated.infra().stopObjectStore();
        try {
            sweeper.sweep(java.time.Instant.now().plus(Duration.ofDays(8)));
        } catch (RuntimeException e) {
            // the store is down: what it could not remove waits for the next sweep
        } finally {
            isolated.infra().startObjectStore();
        }
        sweeper.sweep(java.time.Instant.now().plus(Duration.ofDays(8)));

        assertThat(objects.stream().filter(key -> store.size(key).isPresent()).toList())
                .as("the job's audio, the expired upload and what the ended batch left")
                .isEmpty();
    }

    @Test
    void badSubmissionsGetOpenAiShapedErrorsNamingTheField() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"model\":\"whisper-1\"}", "items");
        cases.put("{\"model\":\"whisper-1\",\"items\":[],\"feed_url\":\"http://127.0.0.1/f\"}", null);
        cases.put("{\"model\":\"whisper-1\",\"items\":[]}", "items");
        cases.put(
                "{\"model\":\"whisper-1\",\"items\":[{\"audio_url\":\"http://127.0.0.1/a\",\"upload_id\":\"u\"}]}",
                "items[0]");
        cases.put(
                "{\"model\":\"whisper-1\",\"items\":[{\"audio_url\":\"http://169.254.169.254/a\"}]}",
                "items[0].audio_url");
        cases.put("{\"model\":\"whisper-1\",\"items\":[{\"upload_id\":\"upload_nope\"}]}", "items[0].upload_id");
        cases.put("{\"model\":\"nope\",\"feed_url\":\"http://127.0.0.1/f\"}", "model");
        cases.put("{\"model\":\"whisper-1\",\"archive_upload_id\":\"upload_nope\"}", "archive_upload_id");
        cases.put("{\"model\":\"whisper-1\",\"items\":\"not a list\"}", null);
        cases.put("{not json", null);
        cases.forEach((body, param) -> {
            HttpResponse<String> refused = submit(TestSystem.API_KEY, body);
            assertThat(refused.statusCode()).as(body + " -> " + refused.body()).isEqualTo(400);
            JsonNode error = JSON.readTree(refused.body()).path("error");
            assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
            assertThat(error.path("param").isNull() ? null : error.path("param").asString())
                    .as(body)
                    .isEqualTo(param);
        });
        HttpResponse<String> form = client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("items"))
                .build());
        assertThat(form.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(form.body()).path("error").path("message").asString())
                .contains("application/json");
        assertThat(get("/v1/transcription_batches?limit=abc", TestSystem.API_KEY)
                        .statusCode())
                .isEqualTo(400);
        assertThat(get("/v1/transcription_batches/not-an-id", TestSystem.API_KEY)
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void cancellingMidWayCancelsTheQueuedItemsAndLetsTheRunningOnesFinish() {
        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"slow\"}").withFixedDelay(300)));
        String id = submitted(TestSystem.API_KEY, items(30, "/a.wav", false));
        await().atMost(Duration.ofSeconds(20)).until(() -> succeeded(id) >= 2);

        HttpResponse<String> cancelled = client.send(client.request("/v1/transcription_batches/" + id + "/cancel")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());

        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(JSON.readTree(cancelled.body()).path("status").asString()).isIn("cancelling", "cancelled");
        JsonNode done = awaitBatch(id, TestSystem.API_KEY, "cancelled");
        JsonNode counts = done.path("counts");
        assertThat(counts.path("queued").asInt() + counts.path("running").asInt())
                .isZero();
        assertThat(counts.path("cancelled").asInt()).isGreaterThan(10);
        assertThat(counts.path("succeeded").asInt() + counts.path("cancelled").asInt())
                .isEqualTo(30);
        int calls =
                upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))).size();
        assertThat(calls)
                .as("cancelled items never reached the upstream")
                .isEqualTo(counts.path("succeeded").asInt());
    }

    @Test
    void theSameAudioAgainReusesTheFinishedTranscriptUnlessTheRequestSaysNot() throws Exception {
        byte[] content = TestAudio.toneWav(0.9);
        served.put("/reuse.wav", TestAudio.toneWav(1.1));
        String first = submitted(
                TestSystem.API_KEY,
                "{\"model\":\"whisper-1\",\"items\":[{\"audio_url\":\"" + served("/reuse.wav") + "\"},{\"upload_id\":\""
                        + upload(content, TestSystem.API_KEY) + "\"}]}");
        awaitBatch(first, TestSystem.API_KEY, "completed");
        int calls =
                upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))).size();
        assertThat(calls).isEqualTo(2);

        String again = submitted(
                TestSystem.API_KEY,
                "{\"model\":\"whisper-1\",\"items\":[{\"audio_url\":\"" + served("/reuse.wav") + "\"},{\"upload_id\":\""
                        + upload(content, TestSystem.API_KEY) + "\"}]}");
        awaitBatch(again, TestSystem.API_KEY, "completed");

        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .as("the same URL and the same content: no new upstream call")
                .hasSize(2);
        List<JsonNode> reused = results(again, TestSystem.API_KEY);
        List<JsonNode> original = results(first, TestSystem.API_KEY);
        for (int i = 0; i < 2; i++) {
            assertThat(reused.get(i).path("reused_from").asString())
                    .isEqualTo(original.get(i).path("job_id").asString());
            assertThat(reused.get(i).path("transcript").path("text").asString()).isEqualTo("episode text");
            assertThat(reused.get(i).path("transcript").has("usage"))
                    .as("a reused transcript cost nothing")
                    .isFalse();
        }

        String other = submitted(
                TestSystem.OTHER_API_KEY,
                "{\"model\":\"whisper-1\",\"items\":[{\"audio_url\":\"" + served("/reuse.wav") + "\"}]}");
        awaitBatch(other, TestSystem.OTHER_API_KEY, "completed");
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .as("another key's audio is never reused")
                .hasSize(3);
        String fresh = submitted(
                TestSystem.API_KEY,
                "{\"model\":\"whisper-1\",\"reuse\":false,\"items\":[{\"audio_url\":\"" + served("/reuse.wav")
                        + "\"}]}");
        awaitBatch(fresh, TestSystem.API_KEY, "completed");
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .as("reuse: false pays the upstream again")
                .hasSize(4);
    }

    @Test
    void oneKeysLargeBatchDoesNotHoldUpAnotherKeysBatchOrASyncRequest() {
        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"bulk\"}").withFixedDelay(150)));
        String large = submitted(TestSystem.API_KEY, items(200, "/a.wav", false));
        await().atMost(Duration.ofSeconds(20)).until(() -> succeeded(large) >= 4);

        long start = System.nanoTime();
        String small = submitted(TestSystem.OTHER_API_KEY, items(5, "/b.wav", false));
        HttpResponse<String> sync = client.transcribe(
                new Multipart()
                        .field("model", "whisper-1")
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5)),
                TestSystem.OTHER_API_KEY);
        Duration syncTook = Duration.ofNanos(System.nanoTime() - start);
        awaitBatch(small, TestSystem.OTHER_API_KEY, "completed");
        Duration smallTook = Duration.ofNanos(System.nanoTime() - start);
        JsonNode largeNow = batch(large, TestSystem.API_KEY);

        assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
        assertThat(syncTook).isLessThan(Duration.ofSeconds(3));
        assertThat(largeNow.path("status").asString()).isEqualTo("in_progress");
        int unfinished = largeNow.path("counts").path("queued").asInt()
                + largeNow.path("counts").path("running").asInt();
        assertThat(unfinished)
                .as("the second key's batch finished in %s, while most of the first key's items still wait", smallTook)
                .isGreaterThan(100);
        assertThat(largeNow.path("estimated_completion_at").asLong()).isGreaterThan(System.currentTimeMillis() / 1000);
        awaitBatch(large, TestSystem.API_KEY, "completed");
    }

    /** The id of {@link TestSystem#API_KEY}'s key, read from a job it submits. */
    private java.util.UUID keyId() {
        String job = client.transcribe(
                        new Multipart()
                                .field("model", "whisper-1")
                                .file("file", "k.wav", "audio/wav", TestAudio.toneWav(0.5)),
                        TestSystem.API_KEY)
                .headers()
                .firstValue("X-Transcription-Job-Id")
                .orElseThrow();
        return isolated.system()
                .jobs()
                .findById(java.util.UUID.fromString(job))
                .orElseThrow()
                .apiKeyId();
    }

    /** A batch of {@code items} as the api records it, written straight to the store. */
    private static TranscriptionBatch itemsBatch(
            java.util.UUID id, java.util.UUID keyId, List<BatchItem> items, JobSpec spec, java.time.Instant now) {
        JsonMapper appJson = isolated.system().api().getBean(JsonMapper.class);
        return TranscriptionBatch.expanding(
                id,
                keyId,
                BatchSource.ITEMS,
                appJson.writeValueAsString(items),
                appJson.writeValueAsString(spec),
                null,
                null,
                false,
                false,
                now);
    }

    private static String episode(String title, String guid, String date, String url) {
        return "<item><title>" + title + "</title><guid>" + guid + "</guid><pubDate>" + date + "</pubDate>"
                + "<enclosure url=\"" + url + "\" type=\"audio/wav\" length=\"1\"/></item>";
    }

    private static String items(int n, String path, boolean reuse) {
        StringBuilder body = new StringBuilder("{\"model\":\"whisper-1\",\"reuse\":" + reuse + ",\"items\":[");
        for (int i = 0; i < n; i++) {
            body.append(i == 0 ? "" : ",")
                    .append("{\"audio_url\":\"")
                    .append(served(path))
                    .append("\",\"metadata\":{\"n\":\"")
                    .append(i)
                    .append("\"}}");
        }
        return body.append("]}").toString();
    }

    private HttpResponse<String> submit(String key, String body) {
        return client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    /** Submits a batch that must be accepted; its id. */
    private String submitted(String key, String body) {
        HttpResponse<String> accepted = submit(key, body);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        return JSON.readTree(accepted.body()).path("id").asString();
    }

    private HttpResponse<String> get(String path, String key) {
        return client.send(client.request(path)
                .header("Authorization", "Bearer " + key)
                .GET()
                .build());
    }

    private JsonNode batch(String id, String key) {
        return JSON.readTree(get("/v1/transcription_batches/" + id, key).body());
    }

    private int succeeded(String id) {
        return batch(id, TestSystem.API_KEY).path("counts").path("succeeded").asInt();
    }

    private JsonNode awaitBatch(String id, String key, String status) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            last[0] = batch(id, key);
            assertThat(last[0].path("status").asString()).as(last[0].toString()).isEqualTo(status);
        });
        return last[0];
    }

    private List<JsonNode> results(String id, String key) {
        HttpResponse<String> response = get("/v1/transcription_batches/" + id + "/results", key);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/x-ndjson");
        return response.body().lines().map(JSON::readTree).toList();
    }

    /** A presigned upload of {@code content}; its id. */
    private String upload(byte[] content, String key) throws IOException, InterruptedException {
        JsonNode upload = JSON.readTree(client.send(client.request("/v1/transcription_uploads")
                        .header("Authorization", "Bearer " + key)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build())
                .body());
        HttpResponse<String> put = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(upload.path("upload_url").asString()))
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return upload.path("id").asString();
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (var entry : new java.util.TreeMap<>(entries).entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] tarGz(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (var entry : new java.util.TreeMap<>(entries).entrySet()) {
                TarArchiveEntry header = new TarArchiveEntry(entry.getKey());
                header.setSize(entry.getValue().length);
                tar.putArchiveEntry(header);
                tar.write(entry.getValue());
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(0.05);
    }
}
