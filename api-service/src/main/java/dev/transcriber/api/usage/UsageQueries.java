package dev.transcriber.api.usage;

import dev.transcriber.api.errors.ApiException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The usage ledger summed over {@code [start, end)} (Unix seconds; all time by default), by {@code group_by}: one
 * key's for the caller, every key's (by key as well) for the operator.
 */
@Component
class UsageQueries {

    private static final Instant NO_END = Instant.parse("9999-01-01T00:00:00Z");

    /** The last second a period may name: 9999-12-31T23:59:59Z. */
    static final long LAST_SECOND = 253_402_300_799L;

    private final JdbcClient jdbc;

    UsageQueries(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The totals of the key {@code keyId}. */
    UsageReport<UsageReport.Bucket> ofKey(UUID keyId, Long start, Long end, String groupBy) {
        Grouping group = Grouping.of(groupBy);
        return UsageReport.of(
                group.name,
                totals(
                        group,
                        keyId,
                        start,
                        end,
                        (rs, bucket) -> new UsageReport.Bucket(
                                group.model(bucket),
                                group.day(bucket),
                                rs.getLong("requests"),
                                rs.getDouble("audio_seconds"),
                                rs.getDouble("billed_seconds"),
                                rs.getLong("input_tokens"),
                                rs.getLong("output_tokens"),
                                rs.getLong("audio_tokens"),
                                rs.getLong("text_tokens"))));
    }

    /** Every key's totals, per key. */
    UsageReport<UsageReport.KeyBucket> everyKey(Long start, Long end, String groupBy) {
        Grouping group = Grouping.of(groupBy);
        return UsageReport.of(
                group.name,
                totals(
                        group,
                        null,
                        start,
                        end,
                        (rs, bucket) -> new UsageReport.KeyBucket(
                                group.model(bucket),
                                group.day(bucket),
                                rs.getString("key"),
                                rs.getLong("requests"),
                                rs.getDouble("audio_seconds"),
                                rs.getDouble("billed_seconds"),
                                rs.getLong("input_tokens"),
                                rs.getLong("output_tokens"),
                                rs.getLong("audio_tokens"),
                                rs.getLong("text_tokens"))));
    }

    /** A row of totals read from the result set, given the value it is grouped by. */
    private interface Row<R> {
        R read(ResultSet rs, String bucket) throws SQLException;
    }

    private <R> List<R> totals(Grouping group, UUID keyId, Long start, Long end, Row<R> row) {
        checkSecond("start", start);
        checkSecond("end", end);
        String keyColumn = keyId == null ? "api_key_id::text" : "null";
        StringBuilder sql = new StringBuilder("select " + group.column + " as bucket, " + keyColumn + " as key,"
                + " count(*) as requests, sum(audio_seconds) as audio_seconds, sum(billed_seconds) as billed_seconds,"
                + " sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,"
                + " sum(audio_tokens) as audio_tokens, sum(text_tokens) as text_tokens"
                + " from usage_ledger where finished_at >= :start and finished_at < :end");
        if (keyId != null) {
            sql.append(" and api_key_id = :key");
        }
        sql.append(" group by 1, 2 order by 1, 2");
        var query = jdbc.sql(sql.toString())
                .param("start", Timestamp.from(start == null ? Instant.EPOCH : Instant.ofEpochSecond(start)))
                .param("end", Timestamp.from(end == null ? NO_END : Instant.ofEpochSecond(end)));
        if (keyId != null) {
            query = query.param("key", keyId);
        }
        return query.query((rs, n) -> row.read(rs, rs.getString("bucket"))).list();
    }

    /** A bound of the period: a Unix time in seconds within the calendar a timestamp column holds. */
    private static void checkSecond(String param, Long seconds) {
        if (seconds != null && (seconds < 0 || seconds > LAST_SECOND)) {
            throw ApiException.invalidRequest(
                    "Invalid '" + param + "': expected a Unix time in seconds from 0 to " + LAST_SECOND + ", got "
                            + seconds + ".",
                    param);
        }
    }

    /** What the rows are grouped by: its name in {@code group_by} and in each row, and the column that gives it. */
    private enum Grouping {
        MODEL("model", "model"),
        DAY("day", "to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD')");

        private final String name;
        private final String column;

        Grouping(String name, String column) {
            this.name = name;
            this.column = column;
        }

        static Grouping of(String groupBy) {
            String group = groupBy == null ? "model" : groupBy;
            return switch (group) {
                case "model" -> MODEL;
                case "day" -> DAY;
                default ->
                    throw ApiException.invalidRequest(
                            "Invalid value for 'group_by': '" + group + "'. Supported values are: 'model' and 'day'.",
                            "group_by");
            };
        }

        String model(String bucket) {
            return this == MODEL ? bucket : null;
        }

        String day(String bucket) {
            return this == DAY ? bucket : null;
        }
    }
}
