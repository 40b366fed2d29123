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
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Jobs whose audio the store always refuses to delete (an object under a legal hold, say) cannot keep retention from
 * the jobs after them: a pass that gives up at the store's failures leaves off there, the next goes on after them,
 * and once a pass has gone round the next starts from the first row again. Before, every pass read the rows from the
 * first again and gave up at the same three failures, and the audio behind them was kept for ever.
 */
class RetentionPastFailingRowsTest {

    /**
     * When the jobs "ended": far in the future, so that neither the system's own scheduled sweep (the real clock) nor
     * other tests' sweeps reach them; this test sweeps as of a week after.
     */
    private static final Instant ENDED = Instant.now().plus(Duration.ofDays(1000));

    private static final Instant SWEPT_AT = ENDED.plus(Duration.ofDays(8));

    @Test
    void rowsWhoseObjectsAlwaysFailDoNotStopTheRowsAfterThemFromBeingSwept() throws Exception {
        TestSystem system = TestSystem.embedded();
        // three jobs whose audio the store refuses to delete, three it deletes, three more refused, three deleted: a
        // pass gives up at three failures in a row
        List<JobId> refusedFirst = jobs(system, 3, 0);
        List<JobId> sweptFirst = jobs(system, 3, 3);
        List<JobId> refusedThen = jobs(system, 3, 6);
        List<JobId> sweptThen = jobs(system, 3, 9);
        Set<String> refused = ConcurrentHashMap.newKeySet();
        Stream.concat(refusedFirst.stream(), refusedThen.stream())
                .map(ObjectKeys::sourceAudio)
                .forEach(refused::add);
        JdbcClient jdbc = system.worker().getBean(JdbcClient.class);
        try (RefusingStore store = new RefusingStore(system.worker().getBean(StorageProperties.class), refused)) {
            RetentionSweeper sweeper = new RetentionSweeper(
                    jdbc,
                    store,
                    system.worker().getBean(JsonMapper.class),
                    Clock.systemUTC(),
                    Duration.ofDays(7),
                    system.worker().getBean(TranscriptRetention.class));

            for (int pass = 0; pass < 3; pass++) {
                sweeper.sweep(SWEPT_AT);
            }

            assertAudioRemoved(system, Stream.concat(sweptFirst.stream(), sweptThen.stream()), true);
            assertAudioRemoved(system, Stream.concat(refusedFirst.stream(), refusedThen.stream()), false);

            // the store deletes them now: later passes go round to them all, the first ones included
            refused.clear();
            for (int pass = 0; pass < 3; pass++) {
                sweeper.sweep(SWEPT_AT);
            }

            assertAudioRemoved(system, Stream.concat(refusedFirst.stream(), refusedThen.stream()), true);
        }
    }

    @Test
    void aStrayTheStoreRefusesToDeleteDoesNotEndTheStraySweepForTheOnesAfterIt() throws Exception {
        TestSystem system = TestSystem.embedded();
        // no job has these ids; listed in key order, the refused one comes first
        String refusedStray =
                ObjectKeys.sourceAudio(new JobId(UUID.fromString("00000000-0000-4000-8000-000000000001")));
        String stray = ObjectKeys.sourceAudio(new JobId(UUID.fromString("00000000-0000-4000-8000-000000000002")));
        byte[] audio = dev.transcriber.standalone.support.TestAudio.toneWav(0.1);
        for (String key : List.of(refusedStray, stray)) {
            system.objectStore().put(key, new java.io.ByteArrayInputStream(audio), audio.length, "audio/wav");
        }
        try (RefusingStore store =
                new RefusingStore(system.worker().getBean(StorageProperties.class), Set.of(refusedStray))) {
            StrayObjects strays = new StrayObjects(
                    system.worker().getBean(JdbcClient.class), store, Clock.systemUTC(), Duration.ofDays(1));

            strays.sweep(Instant.now().plus(Duration.ofDays(2)));
        }

        assertThat(system.objectStore().size(stray))
                .as("the stray after the refused one is removed")
                .isEmpty();
        assertThat(system.objectStore().size(refusedStray)).isPresent();
        system.objectStore().delete(refusedStray);
    }

    /** {@code count} ended jobs with their audio, ending one second apart from {@code first} seconds after ENDED. */
    private static List<JobId> jobs(TestSystem system, int count, int first) {
        List<JobId> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            jobs.add(finishedJob(system, ENDED.plusSeconds(first + i)));
        }
        return jobs;
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

    /** Whether each job's row says its audio went, and its object agrees. */
    private static void assertAudioRemoved(TestSystem system, Stream<JobId> jobs, boolean removed) {
        JdbcClient jdbc = system.worker().getBean(JdbcClient.class);
        jobs.forEach(job -> {
            assertThat(jdbc.sql("select audio_removed_at is not null from transcription_jobs where id = :id")
                            .param("id", job.value())
                            .query(Boolean.class)
                            .single())
                    .as("audio of %s marked removed", job)
                    .isEqualTo(removed);
            assertThat(system.objectStore().size(ObjectKeys.sourceAudio(job)).isEmpty())
                    .as("audio of %s gone from the store", job)
                    .isEqualTo(removed);
        });
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
