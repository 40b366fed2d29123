package dev.transcriber.worker.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.storage.StorageProperties;
import dev.transcriber.standalone.support.TestSystem;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Jobs whose audio the store always refuses to delete (an object under a legal hold, say) cannot keep retention from
 * the jobs after them: a pass that gives up at the store's failures leaves off there, and the next goes on after them.
 * Before, every pass read the rows from the first again, gave up at the same three failures once the rows between
 * them were swept, and the audio behind them was kept for ever.
 */
class RetentionPastFailingRowsTest {

    private static final Instant LONG_AGO = Instant.parse("2001-01-01T00:00:00Z");

    @Test
    void rowsWhoseObjectsAlwaysFailDoNotStopTheRowsAfterThemFromBeingSwept() throws Exception {
        TestSystem system = TestSystem.embedded();
        // nine jobs whose audio cannot be deleted, each followed by one whose audio can: a pass gives up at the third
        // failure, so four passes are needed to get past all nine (before, every pass started again at the first)
        List<JobId> held = new ArrayList<>();
        List<JobId> expired = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            held.add(finishedJob(system, LONG_AGO.plusSeconds(2L * i)));
            expired.add(finishedJob(system, LONG_AGO.plusSeconds(2L * i + 1)));
        }
        Set<String> refused = held.stream().map(ObjectKeys::sourceAudio).collect(Collectors.toSet());
        JdbcClient jdbc = system.worker().getBean(JdbcClient.class);
        try (RefusingStore store = new RefusingStore(system.worker().getBean(StorageProperties.class), refused)) {
            RetentionSweeper sweeper = new RetentionSweeper(
                    jdbc,
                    store,
                    system.worker().getBean(JsonMapper.class),
                    Clock.systemUTC(),
                    Duration.ofDays(7),
                    system.worker().getBean(TranscriptRetention.class));

            for (int pass = 0; pass < 4; pass++) {
                sweeper.sweep(Instant.now());
            }
        }

        for (JobId job : expired) {
            assertThat(audioRemoved(jdbc, job)).as("audio of %s removed", job).isTrue();
            assertThat(system.objectStore().size(ObjectKeys.sourceAudio(job))).isEmpty();
        }
        for (JobId job : held) {
            assertThat(audioRemoved(jdbc, job))
                    .as("audio of %s kept: its object is still there", job)
                    .isFalse();
            assertThat(system.objectStore().size(ObjectKeys.sourceAudio(job))).isPresent();
        }
    }

    /** A job whose audio is in the store and that ended at {@code finishedAt}. */
    private static JobId finishedJob(TestSystem system, Instant finishedAt) {
        JobId id = new JobId(UUID.randomUUID());
        system.jobs().save(system.queuedJobWithStoredAudio(id));
        system.worker()
                .getBean(JdbcClient.class)
                .sql("update transcription_jobs set state = 'SUCCEEDED', finished_at = :at where id = :id")
                .param("at", Timestamp.from(finishedAt))
                .param("id", id.value())
                .update();
        return id;
    }

    private static boolean audioRemoved(JdbcClient jdbc, JobId job) {
        return jdbc.sql("select audio_removed_at is not null from transcription_jobs where id = :id")
                .param("id", job.value())
                .query(Boolean.class)
                .single();
    }

    /** The real store, but deleting {@code refused} always fails. */
    private static final class RefusingStore extends ObjectStore {

        private final Set<String> refused;

        RefusingStore(StorageProperties properties, Set<String> refused) {
            super(properties);
            this.refused = refused;
        }

        @Override
        public void delete(String key) {
            if (refused.contains(key)) {
                throw new ObjectStoreException("object store: delete " + key + " failed: AccessDenied", null);
            }
            super.delete(key);
        }
    }
}
