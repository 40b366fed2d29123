package dev.transcriber.api.intake;

import dev.transcriber.common.store.WriterBackend;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
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
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A new row's write that failed with its commit in doubt: the connection ended after the statement (or the commit)
 * may have reached the database, so it may have committed without its answer arriving, or may still be running
 * there (the connection was cut between the two, the server process is waiting on a lock, a flush or a replica).
 * Before anything the row would own is thrown away, the writer's server process is waited for, and ended if it does
 * not end by itself, so that it can no longer commit; then the row is looked up, and what the look-up finds is final.
 * A failure to get a connection at all, or any answer of the server (a constraint, a trigger, a timeout), is certain:
 * nothing was written. The process is known by its number on a direct connection; behind a connection pooler (whose
 * numbers are its own) a lost answer is an unknown outcome (a 503, everything kept).
 */
@Component
public class CommitInDoubt {

    private static final Logger log = LoggerFactory.getLogger(CommitInDoubt.class);
    private static final Duration OWN_END = Duration.ofSeconds(2);
    private static final Duration ENDED_END = Duration.ofSeconds(5);
    private static final Duration FIRST_POLL = Duration.ofMillis(10);
    private static final Duration LAST_POLL = Duration.ofMillis(200);

    private final JdbcTemplate jdbcTemplate;
    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;

    CommitInDoubt(JdbcTemplate jdbcTemplate, JdbcClient jdbc, TransactionTemplate transactions) {
        this.jdbcTemplate = jdbcTemplate;
        this.jdbc = jdbc;
        this.transactions = transactions;
    }

    /**
     * Runs {@code write} (which creates {@code row}) in a transaction of its own; when it fails with its commit in
     * doubt, as {@link #recorded}: the row {@code lookup} finds, or the failure.
     *
     * @throws OutcomeUnknown when it cannot be told whether it committed: keep what the row would own
     */
    public <T> T inTransaction(String row, Supplier<T> write, Supplier<Optional<T>> lookup) {
        int[] writer = {WriterBackend.UNKNOWN};
        try {
            return transactions.execute(status -> {
                writer[0] = jdbcTemplate.execute((ConnectionCallback<Integer>) WriterBackend::of);
                return write.get();
            });
        } catch (RuntimeException e) {
            return recorded(e, row, writer[0], lookup);
        }
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
        Optional<T> found;
        try {
            if (!ended(writer)) {
                throw new IllegalStateException("the server process " + writer + " of the write was not seen to end");
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
     * Waits for server process {@code writer} to end; if it still runs after a while, ends it (a write it has not
     * committed is then rolled back) and waits again. Whether it was seen to end: not when the process is unknown, when
     * this role may not see its start (another role's), or when the driver's process numbers are not the server's (a
     * connection pooler between the two: then nothing here can tell).
     */
    private boolean ended(int writer) {
        if (writer == WriterBackend.UNKNOWN || !serverProcessesKnown()) {
            return false;
        }
        Optional<Timestamp> started = startOf(writer); // the server's clock: one process, not a later one of its number
        if (started.isEmpty()) {
            return true;
        }
        if (started.get().getTime() == 0) {
            return false; // its start is hidden from this role: whether it still writes cannot be told
        }
        if (awaitEnd(writer, started.get(), OWN_END)) {
            return true;
        }
        log.warn("the server process {} of a write whose answer was lost still runs: ending it", writer);
        jdbc.sql("select pg_terminate_backend(pid) from pg_stat_activity where pid = :pid and backend_start = :started")
                .param("pid", writer)
                .param("started", started.get())
                .query(Boolean.class)
                .optional();
        return awaitEnd(writer, started.get(), ENDED_END);
    }

    /** When {@code writer} started, as the server saw it (epoch 0 when hidden); empty when it is gone. */
    private Optional<Timestamp> startOf(int writer) {
        return jdbc.sql("select coalesce(backend_start, to_timestamp(0)) from pg_stat_activity where pid = :pid"
                        + " and pid <> pg_backend_pid()") // asked on the writer's own connection: its write is over
                .param("pid", writer)
                .query(Timestamp.class)
                .optional();
    }

    /** Whether the driver's process numbers are the server's (not a pooler's): one connection asked both ways. */
    private boolean serverProcessesKnown() {
        Boolean same = jdbcTemplate.execute((ConnectionCallback<Boolean>) connection -> {
            try (var statement = connection.createStatement();
                    var result = statement.executeQuery("select pg_backend_pid()")) {
                return result.next() && result.getInt(1) == WriterBackend.of(connection);
            }
        });
        if (!Boolean.TRUE.equals(same)) {
            log.warn("the database's process numbers are not the driver's (a connection pooler between them?):"
                    + " a write whose answer was lost cannot be told apart from one that failed");
        }
        return Boolean.TRUE.equals(same);
    }

    private boolean awaitEnd(int writer, Timestamp started, Duration atMost) {
        long until = System.nanoTime() + atMost.toNanos();
        long pause = FIRST_POLL.toMillis();
        while (true) {
            boolean running = jdbc.sql("select exists (select 1 from pg_stat_activity where pid = :pid"
                            + " and backend_start = :started and pid <> pg_backend_pid())")
                    .param("pid", writer)
                    .param("started", started)
                    .query(Boolean.class)
                    .single();
            if (!running) {
                return true;
            }
            if (System.nanoTime() > until) {
                return false;
            }
            try {
                Thread.sleep(pause); // a virtual thread: a request's own
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            pause = Math.min(pause * 2, LAST_POLL.toMillis());
        }
    }

    /**
     * Whether {@code failure} is the connection lost (an I/O error, the server going away), after which the write's
     * outcome is unknown. A failure to get a connection at all, or any answer of the server (a constraint, a trigger,
     * a timeout, a full disk), is certain: the write did not commit.
     */
    static boolean inDoubt(Throwable failure) {
        boolean lost = false;
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof CannotGetJdbcConnectionException
                    || cause instanceof CannotCreateTransactionException) {
                return false;
            }
            if (cause instanceof java.io.IOException) {
                lost = true;
            }
            if (cause instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state == null ? "Connection is closed".equals(sql.getMessage()) : connectionLost(state)) {
                    lost = true;
                }
            }
        }
        return lost;
    }

    /** 08: connection exception; 57P01-57P03: the server shutting down or restarting under the connection. */
    private static boolean connectionLost(String state) {
        return state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03");
    }
}
