package dev.transcriber.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.orm.ObjectOptimisticLockingFailureException;

/**
 * The retry policy of a paid-for write: sent again while the database is out of reach; a conflict after such a
 * failure is the earlier send committing late (its server process still ran when the connection ended), so the write
 * is sent once more and finds its own commit; a conflict on a first send is a fault.
 */
class ResultWritesTest {

    private final ResultWrites writes = new ResultWrites(Duration.ofSeconds(30));

    @Test
    void aWriteWhoseConnectionWasLostIsSentAgain() {
        Attempts attempts = new Attempts(lostConnection(), "written");

        assertThat(writes.write(attempts)).isEqualTo("written");
        assertThat(attempts.made).isEqualTo(2);
    }

    @Test
    void aConflictAfterALostConnectionIsTheEarlierSendCommittingLateAndTheWriteIsSentOnceMore() {
        Attempts attempts = new Attempts(
                lostConnection(),
                new DuplicateKeyException(
                        "duplicate key value violates unique constraint \"transcription_jobs_pieces\""),
                new ObjectOptimisticLockingFailureException("transcription_jobs", "id"),
                "found its own commit");

        assertThat(writes.write(attempts)).isEqualTo("found its own commit");
        assertThat(attempts.made).isEqualTo(4);
    }

    @Test
    void aConflictOnTheFirstSendIsAFault() {
        Attempts attempts = new Attempts(new DuplicateKeyException("duplicate key"), "never");

        assertThatThrownBy(() -> writes.write(attempts)).isInstanceOf(DuplicateKeyException.class);
        assertThat(attempts.made).isEqualTo(1);
    }

    private static RuntimeException lostConnection() {
        return new DataAccessResourceFailureException(
                "Unable to commit against JDBC Connection",
                new SQLException("An I/O error occurred while sending to the backend.", "08006"));
    }

    /** Each attempt throws the next failure, or returns the last value. */
    private static final class Attempts implements Supplier<String> {
        private final Iterator<Object> outcomes;
        private int made;

        Attempts(Object... outcomes) {
            this.outcomes = new ArrayList<>(List.of(outcomes)).iterator();
        }

        @Override
        public String get() {
            made++;
            Object next = outcomes.next();
            if (next instanceof RuntimeException failure) {
                throw failure;
            }
            return (String) next;
        }
    }
}
