package dev.transcriber.worker.retention;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Removes a job's objects that no job row names: audio an api stored for a request whose row never committed (the
 * process died between the two, or the database went away mid-commit), or clips kept for it. Every sweep lists the
 * jobs' objects a page at a time and looks up their jobs; an object is a stray only once it is older than {@code
 * transcriber.retention.stray-age} (1 day), far longer than any request takes from storing its audio to recording
 * its job. A sweep that finds most of a page's jobs unknown stops without removing them: that is a database other
 * than the bucket's (an empty or restored one, another environment's), not strays. Every worker sweeps; deleting an
 * object twice is harmless.
 */
@Component
public class StrayObjects {

    private static final Logger log = LoggerFactory.getLogger(StrayObjects.class);
    private static final int PAGE = 500;
    private static final int MOST_STRAYS = 20;

    private final JdbcClient jdbc;
    private final ObjectStore store;
    private final Clock clock;
    private final Duration age;

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
            log.info("retention: removed {} objects that no job names", removed);
        }
    }

    /** Sweeps as of {@code now}; how many objects it removed. */
    public int sweep(Instant now) {
        Instant writtenBefore = now.minus(age);
        Map<UUID, List<String>> page = new LinkedHashMap<>();
        int[] removed = {0};
        store.forEach(ObjectKeys.JOBS, object -> {
            JobId owner = ObjectKeys.ownerJob(object.key());
            if (owner == null || !object.lastModified().isBefore(writtenBefore)) {
                return;
            }
            page.computeIfAbsent(owner.value(), id -> new java.util.ArrayList<>())
                    .add(object.key());
            if (page.size() >= PAGE) {
                removed[0] += removeStrays(page);
                page.clear();
            }
        });
        removed[0] += removeStrays(page);
        return removed[0];
    }

    /** Deletes the objects of {@code byJob} whose job has no row; how many. */
    private int removeStrays(Map<UUID, List<String>> byJob) {
        if (byJob.isEmpty()) {
            return 0;
        }
        Set<UUID> known = new HashSet<>(jdbc.sql("select id from transcription_jobs where id = any(:ids)")
                .param("ids", byJob.keySet().toArray(UUID[]::new))
                .query(UUID.class)
                .list());
        long unknown = byJob.keySet().stream().filter(id -> !known.contains(id)).count();
        if (unknown > MOST_STRAYS && unknown * 2 > byJob.size()) {
            // strays are the odd request whose job never committed: most jobs unknown means the wrong database (an
            // empty or restored one, another environment's sharing the bucket), not a bucket of strays
            throw new IllegalStateException("stray sweep stopped: " + unknown + " of " + byJob.size()
                    + " jobs with objects have no row in this database");
        }
        int removed = 0;
        for (Map.Entry<UUID, List<String>> job : byJob.entrySet()) {
            if (known.contains(job.getKey())) {
                continue;
            }
            for (String key : job.getValue()) {
                store.delete(key);
                removed++;
            }
        }
        return removed;
    }
}
