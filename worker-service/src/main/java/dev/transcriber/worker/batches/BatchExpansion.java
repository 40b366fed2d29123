package dev.transcriber.worker.batches;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.lifecycle.BatchEnds;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.SkippedEntry;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
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
    private final Wakeups wakeups;

    BatchExpansion(BatchRepository batches, JobRepository jobs, BatchEnds ends, Clock clock, Wakeups wakeups) {
        this.wakeups = wakeups;
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

    /**
     * What an expansion starts from: the batch, the objects of items left by an earlier attempt, and the places of the
     * items their owner ended meanwhile ({@code ended}: cancelled or deleted while the batch expanded), which stay as
     * they are and are not written again.
     */
    record Taken(TranscriptionBatch batch, List<String> leftOverObjects, Set<Integer> ended) {}

    /**
     * Takes the batch for {@code worker} unless another worker holds it. Items left by an earlier attempt (a worker
     * that died while expanding) are removed: the expansion starts over. Those their owner ended meanwhile stay (a
     * cancel or a delete is not undone, and their events are not lost). After {@code maxAttempts} starts the batch fails
     * instead, every item removed, so a source that breaks every worker does not go round for ever.
     */
    @Transactional
    Optional<Taken> take(UUID id, String worker, Duration lease, int maxAttempts) {
        TranscriptionBatch batch = batches.lockById(id).orElse(null);
        Instant now = clock.instant();
        if (batch == null || !batch.isExpandable(now)) {
            return Optional.empty();
        }
        List<TranscriptionJob> leftOver = jobs.findBatchItems(id, 0, Limit.unlimited());
        boolean lastAttempt = batch.expansionAttempts() >= maxAttempts;
        // a feed is fetched again, and may list its episodes in another order now (new ones first): its places are
        // not the earlier attempt's, so its ended items cannot keep theirs and go with the rest
        boolean keepsEnded = !lastAttempt && batch.sourceKind() != BatchSource.FEED;
        List<TranscriptionJob> removed = keepsEnded
                ? leftOver.stream().filter(j -> j.state() == JobState.HELD).toList()
                : leftOver;
        jobs.deleteAll(removed);
        List<String> objects = batch.sourceKind() == BatchSource.ARCHIVE
                ? removed.stream().map(j -> j.audio().objectKey()).toList()
                : List.of();
        if (lastAttempt) {
            if (batch.sourceKind() == BatchSource.ARCHIVE) { // the archive's copy goes with its last attempt
                objects = java.util.stream.Stream.concat(objects.stream(), java.util.stream.Stream.of(batch.source()))
                        .toList();
            }
            batch.failExpansion(
                    "expansion_failed",
                    "The batch's source could not be expanded (" + batch.expansionAttempts() + " attempts).",
                    null,
                    now);
            ends.announce(batch);
            return Optional.of(new Taken(null, objects, Set.of()));
        }
        batch.takeExpansion(worker, now.plus(lease));
        Set<Integer> ended = leftOver.stream()
                .filter(j -> keepsEnded && j.state() != JobState.HELD)
                .map(TranscriptionJob::batchIndex)
                .collect(Collectors.toUnmodifiableSet());
        return Optional.of(new Taken(batch, objects, ended));
    }

    /** Extends {@code worker}'s claims on the batches it is expanding. */
    @Transactional
    void renew(java.util.Collection<UUID> ids, String worker, Duration lease) {
        if (!ids.isEmpty()) {
            batches.renewLeases(ids, worker, clock.instant().plus(lease));
        }
    }

    /**
     * Adds held items; false when the batch is no longer this worker's to expand (cancelled by its owner, or taken
     * over after this worker's claim ran out).
     */
    @Transactional
    boolean add(UUID id, JobSpec spec, List<NewItem> items, String worker) {
        TranscriptionBatch batch = batches.lockById(id).orElse(null);
        if (batch == null || !batch.isExpandedBy(worker)) {
            return false;
        }
        Instant now = clock.instant();
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

    /**
     * Every item is in: the batch may run, and the admission schedulers are told on commit (a batch with no item
     * fails, naming what was skipped; one whose items its owner has all ended meanwhile ends). False when the batch is
     * no longer this worker's to expand.
     */
    @Transactional
    boolean finish(UUID id, int items, List<SkippedEntry> skipped, String worker) {
        TranscriptionBatch batch = batches.lockById(id).orElseThrow();
        if (!batch.isExpandedBy(worker)) {
            return false;
        }
        if (items == 0) {
            batch.failExpansion(
                    "empty_batch", "The batch's source has no audio to transcribe.", skipped, clock.instant());
            ends.announce(batch);
            return true;
        }
        batch.expanded(items, skipped, clock.instant());
        if (!ends.endIfNoItemLeft(batch)) {
            wakeups.notify(Channel.ADMISSION);
        }
        return true;
    }

    /**
     * The source is refused or unreadable: the batch fails and its items are removed (their objects are the
     * caller's to delete, when they came out of an archive). Nothing ran: items wait for the batch's expansion. False
     * when the batch is no longer this worker's to expand: nothing is recorded.
     */
    @Transactional
    boolean fail(UUID id, String code, String message, List<SkippedEntry> skipped, String worker) {
        TranscriptionBatch batch = batches.lockById(id).orElseThrow();
        if (!batch.isExpandedBy(worker)) {
            return false;
        }
        jobs.deleteAll(jobs.findBatchItems(id, 0, Limit.unlimited()));
        batch.failExpansion(code, message, skipped, clock.instant());
        ends.announce(batch);
        return true;
    }
}
