package dev.transcriber.worker.retention;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.BatchState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Removes objects whose owner has no row: under {@code jobs/<id>/}, audio an api stored for a request whose job never
 * committed (the process died between the two, or the outcome of its commit could not be told), or clips kept for
 * it; under {@code uploads/claimed/<upload>/<claimer>}, an upload's copy made for a job or batch that never
 * committed. Every sweep lists those objects a page at a time and looks up their owners; an object is a stray only
 * once it is older than {@code transcriber.retention.stray-age} (1 day), far longer than any request takes from
 * storing its audio to recording its job. A claimed copy's owner may be a batch item not yet written (its batch
 * still expanding, which names the item in its source): that is an owner too. A sweep that finds most of a page's
 * owners unknown stops without removing them: that is a database other than the bucket's (an empty or restored one,
 * another environment's), not strays. Every worker sweeps; deleting an object twice is harmless.
 */
@Component
public class StrayObjects {

    private static final Logger log = LoggerFactory.getLogger(StrayObjects.class);
    private static final int PAGE = 500;
    private static final int MOST_STRAYS = 20;
    /** How many failed deletes in a row end a sweep: the store is down. */
    private static final int STORE_FAILURES = 3;

    private final JdbcClient jdbc;
    private final ObjectStore store;
    private final Clock clock;
    private final Duration age;
    /** Deletes that failed one after the other in the sweep under way (sweeps run one at a time). */
    private int failuresInARow;

    StrayObjects(
            JdbcClient jdbc,
            ObjectStore store,
            Clock clock,
            @Value("${transcriber.retention.stray-age:1d}") Duration age) {
        this.jdbc = jdbc;
        this.store = store;
        this.clock = clock;
        this.age = age;
    }

    @Scheduled(
            initialDelayString = "${transcriber.retention.stray-first-sweep:15m}",
            fixedDelayString = "${transcriber.retention.stray-sweep-interval:6h}")
    void sweep() {
        int removed = sweep(clock.instant());
        if (removed > 0) {
            log.info("retention: removed {} objects that no job or batch names", removed);
        }
    }

    /** Sweeps as of {@code now}; how many objects it removed. */
    public synchronized int sweep(Instant now) {
        failuresInARow = 0;
        Instant writtenBefore = now.minus(age);
        return sweep(ObjectKeys.JOBS, ObjectKeys::ownerJob, this::knownJobs, writtenBefore)
                + sweep(ObjectKeys.CLAIMED_UPLOADS, ObjectKeys::claimer, this::knownClaimers, writtenBefore);
    }

    /** One prefix's sweep: its objects older than {@code writtenBefore}, by owner, a page at a time. */
    private int sweep(
            String prefix, Function<String, JobId> ownerOf, Function<UUID[], Set<UUID>> known, Instant writtenBefore) {
        Map<UUID, List<String>> page = new LinkedHashMap<>();
        int[] removed = {0};
        store.forEach(prefix, object -> {
            JobId owner = ownerOf.apply(object.key());
            if (owner == null || !object.lastModified().isBefore(writtenBefore)) {
                return;
            }
            page.computeIfAbsent(owner.value(), id -> new java.util.ArrayList<>())
                    .add(object.key());
            if (page.size() >= PAGE) {
                removed[0] += removeStrays(page, known);
                page.clear();
            }
        });
        removed[0] += removeStrays(page, known);
        return removed[0];
    }

    /** Deletes the objects of {@code byOwner} whose owner is not {@code known}; how many. */
    private int removeStrays(Map<UUID, List<String>> byOwner, Function<UUID[], Set<UUID>> known) {
        if (byOwner.isEmpty()) {
            return 0;
        }
        Set<UUID> owners = known.apply(byOwner.keySet().toArray(UUID[]::new));
        long unknown =
                byOwner.keySet().stream().filter(id -> !owners.contains(id)).count();
        if (unknown > MOST_STRAYS && unknown * 2 > byOwner.size()) {
            // strays are the odd request whose job never committed: most owners unknown means the wrong database (an
            // empty or restored one, another environment's sharing the bucket), not a bucket of strays
            throw new IllegalStateException("stray sweep stopped: " + unknown + " of " + byOwner.size()
                    + " owners of objects have no row in this database");
        }
        int removed = 0;
        for (Map.Entry<UUID, List<String>> owner : byOwner.entrySet()) {
            if (owners.contains(owner.getKey())) {
                continue;
            }
            for (String key : owner.getValue()) {
                try {
                    store.delete(key);
                    removed++;
                    failuresInARow = 0;
                } catch (ObjectStoreException e) {
                    // one object the store refuses (a legal hold, say) does not end the sweep for every one after it
                    log.warn("stray sweep: {}; tried again by the next sweep", e.getMessage());
                    if (++failuresInARow >= STORE_FAILURES) {
                        throw e; // the store is down: the next sweep tries again
                    }
                }
            }
        }
        return removed;
    }

    private Set<UUID> knownJobs(UUID[] ids) {
        return new HashSet<>(jdbc.sql("select id from transcription_jobs where id = any(:ids)")
                .param("ids", ids)
                .query(UUID.class)
                .list());
    }

    /** Jobs and batches among {@code ids}, and items an expanding list batch will write. */
    private Set<UUID> knownClaimers(UUID[] ids) {
        Set<UUID> known = new HashSet<>(jdbc.sql("select id from transcription_jobs where id = any(:ids)"
                        + " union select id from transcription_batches where id = any(:ids)")
                .param("ids", ids)
                .query(UUID.class)
                .list());
        UUID[] rest = Arrays.stream(ids).filter(id -> !known.contains(id)).toArray(UUID[]::new);
        if (rest.length > 0) { // rare (strays are): each expanding list's items are read for these alone
            known.addAll(jdbc.sql("select claimer from unnest(:ids) claimer where exists (select 1 from"
                            + " transcription_batches b where b.state = '" + BatchState.EXPANDING.name() + "'"
                            + " and b.source_kind = '" + BatchSource.ITEMS.name() + "'"
                            + " and strpos(b.source, claimer::text) > 0)")
                    .param("ids", rest)
                    .query(UUID.class)
                    .list());
        }
        return known;
    }
}
