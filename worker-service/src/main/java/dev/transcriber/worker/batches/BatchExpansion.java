package dev.transcriber.worker.batches;

import dev.transcriber.common.batches.BatchEnds;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.BatchState;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The expanding worker's changes to a batch and its items, each in its own transaction with the batch row locked, so
 * a cancel by its owner and the expansion take turns: once the batch is no longer expanding, no item is added.
 */
@Component
class BatchExpansion {

    private final BatchRepository batches;
    private final JobRepository jobs;
    private final BatchEnds ends;
    private final Clock clock;

    BatchExpansion(BatchRepository batches, JobRepository jobs, BatchEnds ends, Clock clock) {
        this.batches = batches;
        this.jobs = jobs;
        this.ends = ends;
        this.clock = clock;
    }

    /** One item to add: its place, job id and audio (stored, or at {@code audioUrl}), and metadata. */
    record NewItem(
            int index, JobId id, StoredAudio audio, String audioUrl, String sha256, Map<String, String> metadata) {}

    @Transactional(readOnly = true)
    List<UUID> expandable(int limit) {
        return batches.findExpandable(clock.instant(), Limit.of(limit));
    }

    /** What an expansion starts from: the batch, and the objects of items left by an earlier attempt. */
    record Taken(TranscriptionBatch batch, List<String> leftOverObjects) {}

    /**
     * Takes the batch for {@code worker} unless another worker holds it. Items left by an earlier attempt (a worker
     * that died while expanding) are removed: the expansion starts over.
     */
    @Transactional
    Optional<Taken> take(UUID id, String worker, Duration lease) {
        TranscriptionBatch batch = batches.lockById(id).orElse(null);
        Instant now = clock.instant();
        if (batch == null || !batch.isExpandable(now)) {
            return Optional.empty();
        }
        batch.takeExpansion(worker, now.plus(lease));
        List<TranscriptionJob> leftOver = jobs.findBatchItems(id, 0, Limit.unlimited());
        jobs.deleteAll(leftOver);
        List<String> objects = batch.sourceKind() == BatchSource.ARCHIVE
                ? leftOver.stream().map(j -> j.audio().objectKey()).toList()
                : List.of();
        return Optional.of(new Taken(batch, objects));
    }

    /** Adds held items and renews the claim; false when the batch is no longer expanding (it was cancelled). */
    @Transactional
    boolean add(UUID id, JobSpec spec, List<NewItem> items, String worker, Duration lease) {
        TranscriptionBatch batch = batches.lockById(id).orElse(null);
        if (batch == null || batch.state() != BatchState.EXPANDING) {
            return false;
        }
        Instant now = clock.instant();
        batch.takeExpansion(worker, now.plus(lease));
        for (NewItem item : items) {
            TranscriptionJob job = TranscriptionJob.batchItem(
                    item.id(), batch, item.index(), spec, item.audio(), item.metadata(), now);
            if (item.audioUrl() != null) {
                job.fetchFrom(item.audioUrl());
            }
            job.contentHash(item.sha256());
            jobs.save(job);
        }
        return true;
    }

    /** Every item is in: the batch may run (a batch with no item fails, naming what was skipped). */
    @Transactional
    void finish(UUID id, int items, String skipped) {
        TranscriptionBatch batch = batches.lockById(id).orElseThrow();
        if (batch.state() != BatchState.EXPANDING) {
            return;
        }
        if (items == 0) {
            batch.failExpansion(
                    "empty_batch", "The batch's source has no audio to transcribe.", skipped, clock.instant());
            ends.announce(batch);
            return;
        }
        batch.expanded(items, skipped, clock.instant());
    }

    /**
     * The source is refused or unreadable: the batch fails and its items are removed (their objects are the
     * caller's to delete, when they came out of an archive). Nothing ran: items wait for the batch's expansion.
     */
    @Transactional
    void fail(UUID id, String code, String message, String skipped) {
        TranscriptionBatch batch = batches.lockById(id).orElseThrow();
        if (batch.state() != BatchState.EXPANDING) {
            return;
        }
        jobs.deleteAll(jobs.findBatchItems(id, 0, Limit.unlimited()));
        batch.failExpansion(code, message, skipped, clock.instant());
        ends.announce(batch);
    }
}
