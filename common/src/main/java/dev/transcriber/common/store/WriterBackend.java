package dev.transcriber.common.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;

/**
 * The PostgreSQL server process that runs a connection's statements, known to the driver from the connection's start
 * (no round trip). A write whose connection ended without its answer may still be running there; whoever must know
 * its outcome waits for that process to end first (see the api's {@code CommitInDoubt}).
 */
public final class WriterBackend {

    /** No known process (a connection that is not PostgreSQL's own). */
    public static final int UNKNOWN = 0;

    private WriterBackend() {}

    public static int of(Connection connection) throws SQLException {
        return connection.isWrapperFor(PGConnection.class)
                ? connection.unwrap(PGConnection.class).getBackendPID()
                : UNKNOWN;
    }
}
