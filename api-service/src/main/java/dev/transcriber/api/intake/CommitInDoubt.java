package dev.transcriber.api.intake;

import dev.transcriber.common.store.WriterBackend;
import dev.transcriber.common.web.Unavailable;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * A new row's write that failed with its commit in doubt: the connection ended after the statement (or the commit)
 * may have reached the database, so it may have committed without its answer arriving, or may still be running
 * there (the connection was cut between the two, the server process is waiting on a lock, a flush or a replica).
 * Before anything the row would own is thrown away, the writer's server process is waited for, and ended if it does
 * not end by itself, so that it can no longer commit; then the row is looked up, and what the look-up finds is final.
 * A failure to get a connection at all, or the database's own refusal (a constraint, a trigger), is certain: nothing
 * was written.
 */
@Component
public class CommitInDoubt {

    private static final Logger log = LoggerFactory.getLogger(CommitInDoubt.class);
    private static final Duration OWN_END = Duration.ofSeconds(2);
    private static final Duration ENDED_END = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(20);

    private final JdbcTemplate jdbcTemplate;
    private final JdbcClient jdbc;
    private final Clock clock;

    CommitInDoubt(JdbcTemplate jdbcTemplate, JdbcClient jdbc, Clock clock) {
        this.jdbcTemplate = jdbcTemplate;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The server process of the current transaction's connection, to give {@link #recorded} if it fails. */
    public int writerOfThisTransaction() {
        Integer backend = jdbcTemplate.execute((ConnectionCallback<Integer>) WriterBackend::of);
        return backend == null ? WriterBackend.UNKNOWN : backend;
    }

    /**
     * {@code failure} ended the write of {@code row}, sent on server process {@code writer} ({@link WriterBackend}):
     * when that leaves its commit in doubt, the process is waited for (and ended), then {@code lookup} reads the row,
     * and a row found is returned (it was recorded). Otherwise {@code failure} stands and is thrown.
     *
     * @throws OutcomeUnknown when the writer could not be seen to end, or the look-up fails: keep what the row would
     *     own
     */
    public <T> T recorded(RuntimeException failure, String row, int writer, Supplier<Optional<T>> lookup) {
        if (!inDoubt(failure)) {
            throw failure;
        }
        Instant failedAt = clock.instant();
        Optional<T> found;
        try {
            if (writer != WriterBackend.UNKNOWN && !ended(writer, failedAt)) {
                throw new IllegalStateException("the server process " + writer + " of the write did not end");
            }
            found = lookup.get();
        } catch (RuntimeException lookupFailure) {
            failure.addSuppressed(lookupFailure);
            throw new OutcomeUnknown(row, failure);
        }
        if (found.isEmpty()) {
            throw failure;
        }
        log.warn("{} was recorded although its write ended with {}", row, failure.toString());
        return found.get();
    }

    /**
     * Waits for server process {@code writer} (started before {@code failedAt}: not a later process given the same
     * number) to end; if it still runs after a while, ends it (a write it has not committed is then rolled back) and
     * waits again. Whether it ended.
     */
    private boolean ended(int writer, Instant failedAt) {
        if (awaitEnd(writer, failedAt, OWN_END)) {
            return true;
        }
        log.warn("the server process {} of a write whose answer was lost still runs: ending it", writer);
        jdbc.sql("select pg_terminate_backend(pid) from pg_stat_activity where pid = :pid and backend_start < :before")
                .param("pid", writer)
                .param("before", Timestamp.from(failedAt))
                .query(Boolean.class)
                .optional();
        return awaitEnd(writer, failedAt, ENDED_END);
    }

    private boolean awaitEnd(int writer, Instant failedAt, Duration atMost) {
        long until = System.nanoTime() + atMost.toNanos();
        while (true) {
            boolean running = jdbc.sql("select exists (select 1 from pg_stat_activity where pid = :pid"
                            + " and backend_start < :before)")
                    .param("pid", writer)
                    .param("before", Timestamp.from(failedAt))
                    .query(Boolean.class)
                    .single();
            if (!running) {
                return true;
            }
            if (System.nanoTime() > until) {
                return false;
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    static boolean inDoubt(Throwable failure) {
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof CannotGetJdbcConnectionException
                    || cause instanceof CannotCreateTransactionException) {
                return false;
            }
        }
        return Unavailable.databaseDown(failure);
    }
}
