package dev.transcriber.worker.batches;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.store.BatchItem;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A batch's expansion ending after its owner already ended every item it added (cancelled through the jobs API while
 * the batch was still expanding): no item is left to end it later, so the expansion's end ends it. The expansion is
 * driven here step by step through the worker's own {@link BatchExpansion}, as a worker holding the batch would.
 */
class BatchExpansionEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String WORKER = "expanding-in-this-test";

    private static TestSystem system;
    private static ApiClient client;

    @BeforeAll
    static void start() {
        system = TestSystem.embedded();
        client = new ApiClient(system.apiBaseUrl());
    }

    @Test
    void aBatchWhoseItemsAllEndedWhileItExpandedEndsWithItsExpansion() throws Exception {
        UUID keyId = system.keyId(TestSystem.API_KEY);
        UUID batchId = UUID.randomUUID();
        JobSpec spec = new JobSpec("whisper-1", "json", null, null, null);
        List<JobId> itemIds = List.of(JobId.random(), JobId.random());
        List<BatchItem> items = itemIds.stream()
                .map(id -> new BatchItem(id.toString(), "http://127.0.0.1:9/a.wav", null, null, Map.of()))
                .toList();
        system.api().getBean(TransactionTemplate.class).executeWithoutResult(status -> {
            Instant now = Instant.now();
            JsonMapper appJson = system.api().getBean(JsonMapper.class);
            TranscriptionBatch batch = TranscriptionBatch.expanding(
                    batchId,
                    keyId,
                    BatchSource.ITEMS,
                    appJson.writeValueAsString(items),
                    appJson.writeValueAsString(spec),
                    null,
                    null,
                    false,
                    false,
                    now);
            batch.takeExpansion(WORKER, now.plusSeconds(120)); // no other worker takes it meanwhile
            system.api().getBean(BatchRepository.class).save(batch);
        });
        BatchExpansion expansion = system.worker().getBean(BatchExpansion.class);
        assertThat(expansion.add(
                        batchId, spec, List.of(newItem(0, itemIds.get(0)), newItem(1, itemIds.get(1))), WORKER))
                .isTrue();

        for (JobId item : itemIds) { // the owner cancels each item as it appears
            HttpResponse<String> cancelled = client.post("/v1/transcription_jobs/" + item + "/cancel");
            assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        }
        assertThat(batch(batchId).path("status").asString()).isEqualTo("expanding");

        expansion.finish(batchId, itemIds.size(), List.of(), WORKER);

        JsonNode ended = batch(batchId);
        assertThat(ended.path("status").asString()).as(ended.toString()).isEqualTo("completed");
        assertThat(ended.path("counts").path("cancelled").asInt()).isEqualTo(2);
    }

    /** An item whose audio is at a URL, as the expansion of a list makes it. */
    private static BatchExpansion.NewItem newItem(int index, JobId id) {
        String url = "http://127.0.0.1:9/" + index + ".wav";
        return new BatchExpansion.NewItem(
                index, id, new StoredAudio(ObjectKeys.sourceAudio(id), index + ".wav", null, 0), url, null, Map.of());
    }

    private static JsonNode batch(UUID id) {
        return JSON.readTree(client.get("/v1/transcription_batches/" + id).body());
    }
}
