package dev.transcriber.common.web;

import dev.transcriber.common.storage.ObjectStoreException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * A dependency that cannot be reached (the database down, its pool unable to give a connection within
 * {@code spring.datasource.hikari.connection-timeout}; the object store down or erring) is the service's problem for a while, not the caller's and
 * not a bug: 503 in the OpenAI shape with {@code Retry-After}, never a 500.
 */
public final class Unavailable {

    /** Seconds a caller is asked to wait before trying again. */
    public static final int RETRY_AFTER_SECONDS = 5;

    private Unavailable() {}

    /** Whether {@code failure}, or anything that caused it, says the database cannot be reached. */
    public static boolean databaseDown(Throwable failure) {
        return anyCause(failure, Unavailable::databaseUnreachable);
    }

    private static boolean databaseUnreachable(Throwable cause) {
        if (cause instanceof CannotCreateTransactionException
                || cause instanceof DataAccessResourceFailureException
                || cause instanceof SQLTransientConnectionException
                || cause instanceof ConnectException) {
            return true;
        }
        if (cause instanceof SQLException sql) {
            String state = sql.getSQLState();
            if (state == null) {
                // the pool's connection, closed under a transaction when the server went away
                return "Connection is closed".equals(sql.getMessage());
            }
            // 08: connection exception; 57P01-57P03: the server shutting down or not yet accepting connections
            return state.startsWith("08") || state.startsWith("57P");
        }
        return false;
    }

    /** Whether {@code failure}, or anything that caused it, is the object store failing (unreachable or erring). */
    public static boolean storageDown(Throwable failure) {
        return anyCause(failure, cause -> cause instanceof ObjectStoreException);
    }

    private static boolean anyCause(Throwable failure, java.util.function.Predicate<Throwable> test) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (test.test(cause)) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** The 503 a controller or the error dispatch answers when the object store fails. */
    public static ResponseEntity<byte[]> storageDown() {
        return ResponseEntity.status(503)
                .header("Retry-After", String.valueOf(RETRY_AFTER_SECONDS))
                .contentType(MediaType.APPLICATION_JSON)
                .body(OpenAiErrorBody.of(
                        "The service's object store is unavailable; try again shortly.",
                        "server_error",
                        "storage_unavailable",
                        null));
    }

    /** The 503 for a dependency that failed, if {@code failure} is one: the object store first, then the database. */
    public static java.util.Optional<ResponseEntity<byte[]>> dependencyDown(Throwable failure) {
        if (storageDown(failure)) {
            return java.util.Optional.of(storageDown());
        }
        return databaseDown(failure) ? java.util.Optional.of(databaseDown()) : java.util.Optional.empty();
    }

    private static byte[] databaseBody() {
        return OpenAiErrorBody.of(
                "The service's database is unavailable; try again shortly.",
                "server_error",
                "database_unavailable",
                null);
    }

    /** The 503 a controller or the error dispatch answers when the database is down. */
    public static ResponseEntity<byte[]> databaseDown() {
        return ResponseEntity.status(503)
                .header("Retry-After", String.valueOf(RETRY_AFTER_SECONDS))
                .contentType(MediaType.APPLICATION_JSON)
                .body(databaseBody());
    }
}
