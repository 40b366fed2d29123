package dev.transcriber.worker.batches;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.BatchItem;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.worker.WorkerIdentity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An archive's expansion by a worker whose claim is gone (its lease ran out and another attempt took the batch, or
 * finished it) leaves alone what belongs to the batch's current holder: the files that attempt took out of the archive,
 * and the archive itself, which a refusal only removes once it is recorded. The expansions are run here through the
 * worker's own {@link BatchExpander}, on batches whose claim the test sets.
 */
class BatchClaimLostTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final JobSpec SPEC = new JobSpec("whisper-1", "json", null, null, null);

    private static TestSystem system;
    private static ApiClient client;
    private static ObjectStore store;
    private static BatchExpander expander;
    private static String worker;

    @BeforeAll
    static void start() {
        system = TestSystem.embedded();
        client = new ApiClient(system.apiBaseUrl());
        store = system.objectStore();
        expander = system.worker().getBean(BatchExpander.class);
        worker = system.worker().getBean(WorkerIdentity.class).id();
    }

    @BeforeEach
    void upstream() {
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"an item\"}")));
    }

    @Test
    void anExpansionThatLostItsClaimLeavesTheFilesOfTheAttemptThatFinished() throws Exception {
        byte[] archive = zip(Map.of("a.wav", TestAudio.toneWav(0.5), "b.wav", TestAudio.toneWav(0.7)));
        TranscriptionBatch batch = archiveBatch(archive, worker);
        expander.expand(batch, Set.of()); // the attempt that finishes: both files are items, the batch runs
        assertThat(status(batch.id())).isIn("in_progress", "completed");

        // an earlier attempt, its claim long gone, still reading the archive it opened before the finished attempt
        // removed it, takes the same files out again
        store.put(batch.source(), new ByteArrayInputStream(archive), archive.length, "application/zip");
        expander.expand(batch, Set.of());
        store.delete(batch.source());

        var items = system.jobs().findBatchItems(batch.id(), 0, org.springframework.data.domain.Limit.unlimited());
        assertThat(items).hasSize(2);
        assertThat(items)
                .allSatisfy(item -> assertThat(store.size(item.audio().objectKey()))
                        .as("the audio of item %s", item.audio().objectKey())
                        .isPresent());
        assertThat(store.keys(ObjectKeys.batchItems(batch.id())))
                .as("only the items' files are left under the batch")
                .containsExactlyInAnyOrderElementsOf(
                        items.stream().map(item -> item.audio().objectKey()).toList());
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(status(batch.id())).isEqualTo("completed"));
        JsonNode completed = batch(batch.id());
        assertThat(completed.path("counts").path("succeeded").asInt())
                .as(completed.toString())
                .isEqualTo(2);
    }

    @Test
    void aRefusalByAWorkerThatLostItsClaimKeepsTheArchiveForTheBatchsHolder() throws Exception {
        TranscriptionBatch batch = archiveBatch(
                zip(Map.of("ok.wav", TestAudio.toneWav(0.5), "../../etc/evil.wav", TestAudio.toneWav(0.5))),
                "another-worker");

        expander.expand(batch, Set.of()); // this worker's claim ran out; another worker holds the batch now

        assertThat(store.size(batch.source()))
                .as("the archive, which the batch's holder still reads")
                .isPresent();
        assertThat(status(batch.id())).isEqualTo("expanding");

        // the holder's lease runs out too: this worker takes the batch and refuses it, with its own refusal
        runOut(batch.id());
        expander.expandWaiting();

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(status(batch.id())).isEqualTo("failed"));
        assertThat(batch(batch.id()).path("error").path("code").asString()).isEqualTo("invalid_archive");
        assertThat(store.size(batch.source()))
                .as("the archive, once the refusal is recorded")
                .isEmpty();
        assertThat(store.keys(ObjectKeys.batchItems(batch.id()))).isEmpty();
    }

    @Test
    void anExpansionStartedOverKeepsTheItemsTheirOwnerEndedMeanwhile() throws Exception {
        List<JobId> ids = List.of(JobId.random(), JobId.random(), JobId.random());
        String source = JSON.writeValueAsString(ids.stream()
                .map(id -> new BatchItem(id.toString(), "http://127.0.0.1:9/" + id + ".wav", null, null, Map.of()))
                .toList());
        TranscriptionBatch batch = batch(BatchSource.ITEMS, source, worker);
        BatchExpansion expansion = system.worker().getBean(BatchExpansion.class);
        List<BatchExpansion.NewItem> first = new ArrayList<>();
        for (int index = 0; index < ids.size(); index++) {
            JobId id = ids.get(index);
            first.add(new BatchExpansion.NewItem(
                    index,
                    id,
                    new StoredAudio(ObjectKeys.sourceAudio(id), id + ".wav", null, 0),
                    "http://127.0.0.1:9/" + id + ".wav",
                    null,
                    Map.of()));
        }
        assertThat(expansion.add(batch.id(), SPEC, first, worker)).isTrue(); // the first attempt's items
        // the owner ends two of them while the batch still expands
        HttpResponse<String> cancelled = client.post("/v1/transcription_jobs/" + ids.get(0) + "/cancel");
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        HttpResponse<String> deleted = client.send(client.request("/v1/transcription_jobs/" + ids.get(1))
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .DELETE()
                .build());
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);

        // the first attempt's worker dies: its claim runs out, and the expansion starts over
        runOut(batch.id());
        expander.expandWaiting();

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(status(batch.id())).isNotEqualTo("expanding"));
        assertThat(job(ids.get(0)).path("status").asString())
                .as("the cancelled item stays cancelled")
                .isEqualTo("cancelled");
        JsonNode deletedItem = job(ids.get(1));
        assertThat(deletedItem.path("deleted").asBoolean())
                .as("the deleted item stays deleted: %s", deletedItem)
                .isTrue();
        JsonNode counts = batch(batch.id()).path("counts");
        assertThat(counts.path("total").asInt()).as(counts.toString()).isEqualTo(3);
        assertThat(counts.path("cancelled").asInt()).as(counts.toString()).isEqualTo(2);
    }

    @Test
    void anArchivesEmptyFileTakesNoPlaceOfAnItemItsOwnerEndedWhenTheExpansionStartsOver() throws Exception {
        // a.wav, an empty file (skipped: no item), b.wav: the items are a (place 0) and b (place 1)
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.wav", TestAudio.toneWav(0.5));
        entries.put("empty.wav", new byte[0]);
        entries.put("b.wav", TestAudio.toneWav(0.7));
        TranscriptionBatch batch = archiveBatch(zip(entries), worker);
        // the first attempt wrote b at place 1, and its owner cancelled it; the attempt then died, and the next one
        // starts over with b's place ended (what take() finds: the held items removed, the ended ones kept)
        JobId b = JobId.random();
        BatchExpansion expansion = system.worker().getBean(BatchExpansion.class);
        assertThat(expansion.add(
                        batch.id(),
                        SPEC,
                        List.of(new BatchExpansion.NewItem(
                                1,
                                b,
                                new StoredAudio(ObjectKeys.batchItem(batch.id(), b), "b.wav", null, 10),
                                null,
                                null,
                                Map.of())),
                        worker))
                .isTrue();
        HttpResponse<String> cancelled = client.post("/v1/transcription_jobs/" + b + "/cancel");
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);

        expander.expand(batch, Set.of(1));

        var items = system.jobs().findBatchItems(batch.id(), 0, org.springframework.data.domain.Limit.unlimited());
        assertThat(items.stream().map(TranscriptionJob::batchIndex).sorted().toList())
                .as("a at 0; b's ended place kept, not taken by the empty file, and b not written again")
                .containsExactly(0, 1);
        assertThat(items.stream()
                        .filter(item -> item.batchIndex() == 1)
                        .findFirst()
                        .orElseThrow()
                        .id())
                .isEqualTo(b);
        assertThat(store.keys(ObjectKeys.batchItems(batch.id())))
                .as("the second attempt's copy of b is not kept")
                .containsExactly(items.stream()
                        .filter(item -> item.batchIndex() == 0)
                        .findFirst()
                        .orElseThrow()
                        .audio()
                        .objectKey());
    }

    /** An archive batch whose archive is stored, held by {@code holder} for the next two minutes. */
    private static TranscriptionBatch archiveBatch(byte[] archive, String holder) {
        String key = "test-archives/" + UUID.randomUUID() + ".zip";
        store.put(key, new ByteArrayInputStream(archive), archive.length, "application/zip");
        return batch(BatchSource.ARCHIVE, key, holder);
    }

    /** A batch of {@code kind} from {@code source}, held by {@code holder} for the next two minutes. */
    private static TranscriptionBatch batch(BatchSource kind, String source, String holder) {
        UUID id = UUID.randomUUID();
        UUID keyId = system.keyId(TestSystem.API_KEY);
        return system.api().getBean(TransactionTemplate.class).execute(status -> {
            Instant now = Instant.now();
            TranscriptionBatch batch = TranscriptionBatch.expanding(
                    id,
                    keyId,
                    kind,
                    source,
                    system.api().getBean(JsonMapper.class).writeValueAsString(SPEC),
                    null,
                    null,
                    false,
                    false,
                    now);
            batch.takeExpansion(holder, now.plusSeconds(120)); // no other worker takes it meanwhile
            return system.api().getBean(BatchRepository.class).save(batch);
        });
    }

    /** The claim on batch {@code id} runs out, its worker gone: the next look takes the batch. */
    private static void runOut(UUID id) {
        system.api()
                .getBean(TransactionTemplate.class)
                .executeWithoutResult(status -> system.api()
                        .getBean(BatchRepository.class)
                        .findById(id)
                        .orElseThrow()
                        .takeExpansion("a-worker-gone", Instant.now().minusSeconds(1)));
    }

    private static JsonNode job(JobId id) {
        return JSON.readTree(client.get("/v1/transcription_jobs/" + id).body());
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : new LinkedHashMap<>(entries).entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static String status(UUID id) {
        return batch(id).path("status").asString();
    }

    private static JsonNode batch(UUID id) {
        return JSON.readTree(client.get("/v1/transcription_batches/" + id).body());
    }
}
