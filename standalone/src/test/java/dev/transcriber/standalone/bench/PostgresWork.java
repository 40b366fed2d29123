package dev.transcriber.standalone.bench;

import dev.transcriber.standalone.infra.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What PostgreSQL did over a stretch, from its own statistics: transactions committed and, per table, rows inserted,
 * updated and deleted and scans (index and sequential) started. A backend reports its counts a moment after its
 * transactions, or only at its next one, so a stretch is read as a whole (every round), after it has settled
 * ({@link #settle}), and the floor's known work (one row into {@code bench_floor} and one commit per floor) is taken
 * out of it: what stays is the gateway's, with its background work.
 */
final class PostgresWork {

    private static final String FLOOR_TABLE = "bench_floor";

    private final LocalPostgres postgres;

    PostgresWork(LocalPostgres postgres) {
        this.postgres = postgres;
    }

    /** The counters: commits, and per table {inserted, updated, deleted, scans}. */
    record Snapshot(long commits, Map<String, long[]> tables) {}

    /** Where the counters stand now. */
    Snapshot snapshot() throws SQLException {
        try (Connection connection =
                        DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
                Statement statement = connection.createStatement()) {
            long commits;
            try (ResultSet rs = statement.executeQuery(
                    "select xact_commit from pg_stat_database where datname = current_database()")) {
                rs.next();
                commits = rs.getLong(1);
            }
            Map<String, long[]> tables = new TreeMap<>();
            try (ResultSet rs = statement.executeQuery("select relname, n_tup_ins, n_tup_upd, n_tup_del,"
                    + " coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_user_tables")) {
                while (rs.next()) {
                    tables.put(
                            rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)});
                }
            }
            return new Snapshot(commits, tables);
        }
    }

    /** The statistics of the work just done have reached the views. */
    static void settle() throws InterruptedException {
        Thread.sleep(1500);
    }

    /**
     * Per gateway request between {@code before} and {@code after}, the {@code floors} floor requests of the same
     * stretch taken out: commits, then per table inserted/updated/deleted rows and scans, the tables touched only.
     */
    String perRequest(Snapshot before, Snapshot after, int requests, int floors) {
        String perTable = after.tables().entrySet().stream()
                .filter(e -> !e.getKey().equals(FLOOR_TABLE))
                .map(e -> {
                    long[] was = before.tables().getOrDefault(e.getKey(), new long[4]);
                    double[] each = new double[4];
                    for (int i = 0; i < 4; i++) {
                        each[i] = (e.getValue()[i] - was[i]) / (double) requests;
                    }
                    return Map.entry(e.getKey(), each);
                })
                .filter(e -> e.getValue()[0] + e.getValue()[1] + e.getValue()[2] + e.getValue()[3] > 0)
                .map(e -> String.format(
                        Locale.ROOT,
                        "%s %.1f/%.1f/%.1f/%.1f",
                        e.getKey(),
                        e.getValue()[0],
                        e.getValue()[1],
                        e.getValue()[2],
                        e.getValue()[3]))
                .collect(Collectors.joining(", "));
        return String.format(
                Locale.ROOT,
                "%.1f commits; by table, rows inserted/updated/deleted/scans: %s",
                (after.commits() - before.commits() - floors) / (double) requests,
                perTable);
    }
}
