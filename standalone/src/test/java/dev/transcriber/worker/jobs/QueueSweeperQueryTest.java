package dev.transcriber.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.standalone.support.WorkerSlice;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the queue sweeper looks at, on a real PostgreSQL: a new job's message is a notice with no outbox row, so a
 * lost one is found only by the sweep, and a backlog of one lane must not hide another lane's jobs from it.
 */
class QueueSweeperQueryTest {

    private static WorkerSlice slice;

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(QueueSweeperQueryTest.class);
    }

    @AfterAll
    static void stop() {
        if (slice != null) {
            slice.close();
        }
    }

    @Test
    void aBacklogOfOneLaneDoesNotHideANewerJobOfAnother() {
        List<JobId> backlog = slice.saveQueued(Lane.ASYNC, 3);
        slice.clock().advance(Duration.ofSeconds(1));
        JobId interactive = slice.saveQueued(Lane.INTERACTIVE, 1).getFirst();

        List<QueueSweeper.Queued> looked = QueueSweeper.queuedWithoutMessageInOutbox(slice.jdbc(), 2);

        assertThat(looked)
                .extracting(QueueSweeper.Queued::id)
                .contains(interactive.value())
                .containsAnyElementsOf(backlog.stream().map(JobId::value).toList());
        assertThat(looked).filteredOn(q -> q.lane() == Lane.ASYNC).hasSize(2);
    }
}
