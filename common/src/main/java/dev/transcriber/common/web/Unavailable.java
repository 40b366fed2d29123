package dev.transcriber.common.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * A dependency that cannot be reached (the database down, its pool unable to give a connection within
 * {@code spring.datasource.hikari.connection-timeout}) is the service's problem for a while, not the caller's and
 * not a bug: 503 in the OpenAI shape with {@code Retry-After}, never a 500.
 */
public final class Unavailable {

    /** Seconds a caller is asked to wait before trying again. */
    public static final int RETRY_AFTER_SECONDS = 5;

    private Unavailable() {}

    /** Whether {@code failure}, or anything that caused it, says the database cannot be reached. */
    public static boolean databaseDown(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof CannotCreateTransactionException
                    || cause instanceof DataAccessResourceFailureException
                    || cause instanceof SQLTransientConnectionException
                    || cause instanceof ConnectException) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 08: connection exception; 57P01-57P03: the server shutting down or not yet accepting connections
                if (state.startsWith("08") || state.startsWith("57P")) {
                    return true;
                }
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    public static byte[] databaseBody() {
        return OpenAiErrorBody.of(
                "The service's database is unavailable; try again shortly.",
                "server_error",
                "database_unavailable",
                null);
    }

    public static void writeDatabaseDown(HttpServletResponse response) throws IOException {
        response.setHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
        OpenAiErrorBody.write(response, 503, databaseBody());
    }
}
