package dev.transcriber.api.intake;

import dev.transcriber.common.web.Unavailable;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * A new row's write that failed with its commit in doubt: the connection ended after the statement (or the commit)
 * may have reached the database, so it may have committed without its answer arriving. The row is then looked up
 * before anything it would own is thrown away. A failure to get a connection at all, or the database's own refusal
 * (a constraint, a trigger), is certain: nothing was written.
 */
public final class CommitInDoubt {

    private static final Logger log = LoggerFactory.getLogger(CommitInDoubt.class);

    private CommitInDoubt() {}

    /**
     * {@code failure} ended the write of {@code row}: when that leaves its commit in doubt, {@code lookup} reads the
     * row, and a row found is returned (it was recorded). Otherwise {@code failure} stands and is thrown.
     *
     * @throws OutcomeUnknown when the look-up fails too: keep what the row would own
     */
    public static <T> T recorded(RuntimeException failure, String row, Supplier<Optional<T>> lookup) {
        if (!after(failure)) {
            throw failure;
        }
        Optional<T> found;
        try {
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

    static boolean after(Throwable failure) {
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof CannotGetJdbcConnectionException
                    || cause instanceof CannotCreateTransactionException) {
                return false;
            }
        }
        return Unavailable.databaseDown(failure);
    }
}
