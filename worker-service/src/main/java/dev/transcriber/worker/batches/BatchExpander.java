package dev.transcriber.worker.batches;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.BatchItem;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.SkippedEntry;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Doorbell;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.worker.WorkerIdentity;
import dev.transcriber.worker.audio.AudioFetcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns accepted batches into items, in the background: a list as given, a podcast feed's episode enclosures (the
 * feed fetched under the same address rules as {@code audio_url}), or an archive's audio files (each streamed into
 * the object store as it is read, its SHA-256 taken on the way). Items are held jobs, written a chunk per
 * transaction; they run once the batch is expanded. A worker that dies mid-way leaves the batch to the next one,
 * which starts over; a refused source fails the batch with nothing left behind. Workers look for batches when told that
 * one was accepted ({@link Channel#BATCHES}), and at the latest every {@code transcriber.batches.expand-interval} (a
 * notification missed, a claim run out).
 */
@Component
class BatchExpander {

    private static final Logger log = LoggerFactory.getLogger(BatchExpander.class);

    private static final int CHUNK = 200;
    private static final int BATCHES_PER_LOOK = 4;
    private static final int MAX_SKIPPED_LISTED = 1000;
    private static final int MAX_VALUE = 512;

    private final BatchExpansion expansion;
    private final ObjectStore store;
    private final AudioFetcher fetcher;
    private final BatchProperties properties;
    private final JsonMapper json;
    private final String worker;
    private final Set<UUID> expanding = ConcurrentHashMap.newKeySet();
    private final Doorbell doorbell;

    BatchExpander(
            BatchExpansion expansion,
            ObjectStore store,
            AudioFetcher fetcher,
            BatchProperties properties,
            JsonMapper json,
            WorkerIdentity identity,
            Wakeups wakeups) {
        this.expansion = expansion;
        this.store = store;
        this.fetcher = fetcher;
        this.properties = properties;
        this.json = json;
        this.worker = identity.id();
        this.doorbell = wakeups.doorbell("batches", properties.expandInterval(), this::expandWaiting, Channel.BATCHES);
    }

    void expandWaiting() {
        List<UUID> waiting = expansion.expandable(BATCHES_PER_LOOK);
        if (waiting.size() == BATCHES_PER_LOOK) {
            doorbell.ring(); // there may be more: look again after these
        }
        for (UUID id : waiting) {
            expansion
                    .take(id, worker, properties.lease(), properties.maxExpansionAttempts())
                    .ifPresent(taken -> {
                        taken.leftOverObjects().forEach(this::deleteQuietly);
                        if (taken.batch() != null) {
                            expanding.add(id);
                            try {
                                expand(taken.batch(), taken.ended());
                            } finally {
                                expanding.remove(id);
                            }
                        }
                    });
        }
    }

    /** Keeps this worker's claims alive while it expands (one archive entry may take longer than a claim). */
    @Scheduled(fixedDelayString = "${transcriber.batches.lease-renewal:20s}")
    void renew() {
        expansion.renew(Set.copyOf(expanding), worker, properties.lease());
    }

    /** A source the batch cannot be made from; the batch fails with this code and message. */
    static final class Unusable extends RuntimeException {
        final String code;

        Unusable(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** The batch is no longer ours to expand (cancelled by its owner, or taken over). */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super("the batch is no longer expanding", null, false, false);
        }
    }

    /**
     * Expands {@code batch}, which this worker has taken, passing over the places of items their owner {@code ended}
     * in an earlier attempt (package-private for tests that set the claim).
     */
    void expand(TranscriptionBatch batch, Set<Integer> ended) {
        Items items = new Items(batch, json.readValue(batch.options(), JobSpec.class), ended);
        try {
            switch (batch.sourceKind()) {
                case ITEMS -> fromList(batch, items);
                case FEED -> fromFeed(batch, items);
                case ARCHIVE -> fromArchive(batch, items);
            }
            items.flush();
            if (!expansion.finish(batch.id(), items.count, items.skipped, worker)) {
                throw new Stopped();
            }
            if (batch.sourceKind() == BatchSource.ARCHIVE) {
                deleteQuietly(batch.source()); // every audio file is an object of its own now
            }
            log.info("batch {}: {} items, {} skipped", batch.id(), items.count, items.skippedTotal);
        } catch (Stopped e) {
            items.deleteStored();
        } catch (Unusable e) {
            failed(batch, items, e.code, e.getMessage());
        } catch (ArchiveReader.Refused e) {
            failed(batch, items, "invalid_archive", e.getMessage());
        } catch (FeedReader.InvalidFeed e) {
            failed(batch, items, "invalid_feed", e.getMessage());
        } catch (AudioFetcher.FetchFailed e) {
            failed(batch, items, "invalid_feed_url", e.getMessage());
        } catch (RuntimeException e) {
            ArchiveReader.Refused refused = refusal(e);
            if (refused != null) {
                failed(batch, items, "invalid_archive", refused.getMessage());
                return;
            }
            // its claim runs out and another worker (or this one) starts it over
            log.error("batch {}: expansion interrupted; it will start over", batch.id(), e);
        }
    }

    /**
     * Refuses the batch's source. The archive goes only once the refusal is recorded: a worker whose claim ran out
     * leaves it to the batch's holder (or, for a cancelled batch, to retention).
     */
    private void failed(TranscriptionBatch batch, Items items, String code, String message) {
        items.deleteStored();
        if (!expansion.fail(batch.id(), code, message, items.skipped, worker)) {
            log.info("batch {}: no longer this worker's, its refusal not recorded: {}", batch.id(), message);
            return;
        }
        if (batch.sourceKind() == BatchSource.ARCHIVE) {
            deleteQuietly(batch.source());
        }
        log.info("batch {} refused: {}", batch.id(), message);
    }

    /** A refusal raised inside the object store's upload of an entry arrives wrapped. */
    private static ArchiveReader.Refused refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ArchiveReader.Refused refused) {
                return refused;
            }
        }
        return null;
    }

    private void fromList(TranscriptionBatch batch, Items items) {
        for (BatchItem item : json.readValue(batch.source(), BatchItem[].class)) {
            JobId id = JobId.parse(item.job_id());
            if (item.audio_url() != null) {
                items.add(
                        id,
                        new StoredAudio(ObjectKeys.sourceAudio(id), fileName(item.audio_url()), null, 0),
                        item.audio_url(),
                        null,
                        item.metadata());
            } else {
                items.add(
                        id,
                        new StoredAudio(item.object_key(), null, null, item.size_bytes()),
                        null,
                        null,
                        item.metadata());
            }
        }
    }

    private void fromFeed(TranscriptionBatch batch, Items items) {
        String key = ObjectKeys.batchFeed(batch.id());
        fetcher.fetch(batch.source(), key, properties.maxFeedSize().toBytes(), "feed_url");
        List<FeedReader.Episode> episodes;
        try (InputStream in = store.open(key)) {
            episodes = FeedReader.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(key);
        }
        int n = 0;
        for (FeedReader.Episode episode : episodes) {
            String name = episode.title() != null ? episode.title() : "episode " + (n + 1);
            n++;
            if (episode.audioUrl() == null) {
                items.skipped(name, "no audio enclosure");
                continue;
            }
            if (!isHttp(episode.audioUrl())) {
                items.skipped(name, "the enclosure is not an http(s) URL: " + episode.audioUrl());
                continue;
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            put(metadata, "title", episode.title());
            put(metadata, "guid", episode.guid());
            put(metadata, "published", episode.published());
            JobId id = JobId.random();
            items.add(
                    id,
                    new StoredAudio(ObjectKeys.sourceAudio(id), fileName(episode.audioUrl()), null, 0),
                    episode.audioUrl(),
                    null,
                    metadata);
        }
    }

    private void fromArchive(TranscriptionBatch batch, Items items) {
        ArchiveReader reader = new ArchiveReader(ArchiveReader.Limits.of(properties));
        try (InputStream archive = store.open(batch.source())) {
            reader.read(archive, new ArchiveReader.Entries() {
                @Override
                public void file(String path, InputStream content) {
                    JobId id = JobId.random();
                    String key = ObjectKeys.batchItem(batch.id(), id);
                    CountingInputStream counted = CountingInputStream.of(content);
                    items.storing(key);
                    store.put(key, counted, -1, null);
                    if (counted.count() == 0) {
                        items.skipped(path, "empty");
                        deleteQuietly(key);
                        items.unstored(key);
                        return;
                    }
                    String file = path.substring(path.lastIndexOf('/') + 1);
                    boolean added = items.add(
                            id,
                            new StoredAudio(key, file, null, counted.count()),
                            null,
                            counted.sha256(),
                            Map.of("filename", truncate(path)));
                    if (!added) { // its owner ended this file's item in an earlier attempt: that item stays
                        deleteQuietly(key);
                        items.unstored(key);
                    }
                }

                @Override
                public void skipped(String path, String reason) {
                    items.skipped(path, reason);
                }
            });
        } catch (IOException e) {
            throw new Unusable("invalid_archive", "The archive could not be read: " + e.getMessage());
        }
    }

    /** The items being written, a chunk at a time, and what was skipped. */
    private final class Items {
        private final TranscriptionBatch batch;
        private final JobSpec spec;
        private final List<BatchExpansion.NewItem> pending = new ArrayList<>();
        private final List<String> stored = new ArrayList<>();
        private final List<SkippedEntry> skipped = new ArrayList<>();
        private final Set<Integer> ended;
        private int skippedTotal;
        private int count;

        Items(TranscriptionBatch batch, JobSpec spec, Set<Integer> ended) {
            this.batch = batch;
            this.spec = spec;
            this.ended = ended;
        }

        /**
         * Adds the next item; false when its place is one its owner ended in an earlier attempt, which stays: the place
         * is counted and passed over. Every place counts against the limit on items.
         */
        boolean add(JobId id, StoredAudio audio, String url, String sha256, Map<String, String> own) {
            if (count >= properties.maxItems()) {
                throw new Unusable(
                        "too_many_items", "The batch's source has more than " + properties.maxItems() + " items.");
            }
            if (ended.contains(count)) {
                count++;
                return false;
            }
            Map<String, String> metadata = new LinkedHashMap<>(batch.metadata());
            if (own != null) {
                metadata.putAll(own);
            }
            pending.add(new BatchExpansion.NewItem(count++, id, audio, url, sha256, metadata));
            if (pending.size() >= CHUNK) {
                flush();
            }
            return true;
        }

        void flush() {
            if (pending.isEmpty()) {
                return;
            }
            if (!expansion.add(batch.id(), spec, pending, worker)) {
                throw new Stopped();
            }
            pending.clear();
        }

        void storing(String key) {
            stored.add(key);
        }

        void unstored(String key) {
            stored.remove(key);
        }

        void skipped(String name, String reason) {
            skippedTotal++;
            if (skipped.size() < MAX_SKIPPED_LISTED) {
                skipped.add(new SkippedEntry(truncate(name), reason));
            }
        }

        /** Objects this attempt wrote (archive entries): removed when the batch does not go ahead. */
        void deleteStored() {
            stored.forEach(BatchExpander.this::deleteQuietly);
        }
    }

    private static void put(Map<String, String> metadata, String name, String value) {
        if (value != null) {
            metadata.put(name, truncate(value));
        }
    }

    private static String truncate(String value) {
        return value.length() <= MAX_VALUE ? value : value.substring(0, MAX_VALUE);
    }

    static boolean isHttp(String url) {
        try {
            URI uri = URI.create(url);
            return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                    && uri.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String fileName(String url) {
        String path = URI.create(url).getPath();
        return path == null || path.isEmpty() ? null : path.substring(path.lastIndexOf('/') + 1);
    }

    private void deleteQuietly(String key) {
        try {
            store.delete(key);
        } catch (RuntimeException e) {
            log.warn("could not delete {}: {}", key, e.getMessage());
        }
    }
}
