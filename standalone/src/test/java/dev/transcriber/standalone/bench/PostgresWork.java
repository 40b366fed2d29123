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
 * updated and deleted and scans (index and sequential) started. The statistics reach the views a moment after each
 * transaction ({@link #settle}), so a stretch is read once its work has settled.
 */
final class PostgresWork {

    private final LocalPostgres postgres;
    private long commits;
    private final Map<String, long[]> tables = new TreeMap<>();

    PostgresWork(LocalPostgres postgres) {
        this.postgres = postgres;
    }

    /** Where the counters stand now. */
    Snapshot snapshot() throws SQLException {
        try (Connection connection =
                        DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
                Statement statement = connection.createStatement()) {
            long xacts;
            try (ResultSet rs = statement.executeQuery(
                    "select xact_commit from pg_stat_database where datname = current_database()")) {
                rs.next();
                xacts = rs.getLong(1);
            }
            Map<String, long[]> rows = new TreeMap<>();
            try (ResultSet rs = statement.executeQuery("select relname, n_tup_ins, n_tup_upd, n_tup_del,"
                    + " coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_user_tables")) {
                while (rs.next()) {
                    rows.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)});
                }
            }
            return new Snapshot(xacts, rows);
        }
    }

    /** The statistics collector's interval has passed: what the stretch did is in the views. */
    static void settle() throws InterruptedException {
        Thread.sleep(1500);
    }

    /** Adds what happened between {@code before} and {@code after}. */
    void add(Snapshot before, Snapshot after) {
        commits += after.commits() - before.commits() - 1; // the snapshot's own read of before
        after.tables().forEach((table, counts) -> {
            long[] was = before.tables().getOrDefault(table, new long[4]);
            long[] sum = tables.computeIfAbsent(table, t -> new long[4]);
            for (int i = 0; i < 4; i++) {
                sum[i] += counts[i] - was[i];
            }
        });
    }

    /** Per request: commits, then per table inserted/updated/deleted rows and scans, the tables touched only. */
    String perRequest(int requests) {
        String perTable = tables.entrySet().stream()
                .filter(e -> e.getValue()[0] + e.getValue()[1] + e.getValue()[2] + e.getValue()[3] > 0)
                .map(e -> String.format(
                        Locale.ROOT,
                        "%s %.1f/%.1f/%.1f/%.1f",
                        e.getKey(),
                        e.getValue()[0] / (double) requests,
                        e.getValue()[1] / (double) requests,
                        e.getValue()[2] / (double) requests,
                        e.getValue()[3] / (double) requests))
                .collect(Collectors.joining(", "));
        return String.format(
                Locale.ROOT,
                "%.1f commits; by table, rows inserted/updated/deleted/scans: %s",
                commits / (double) requests,
                perTable);
    }

    record Snapshot(long commits, Map<String, long[]> tables) {}
}
