package dev.transcriber.api.usage;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.Caller;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Usage from the ledger, summed: {@code GET /v1/usage} for the calling key, {@code GET /admin/usage} for every key
 * (grouped by key as well). {@code start} and {@code end} are Unix seconds (end exclusive; default: all time);
 * {@code group_by} is {@code model} (default) or {@code day} (UTC).
 */
@RestController
class UsageController {

    private final JdbcClient jdbc;

    UsageController(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @GetMapping("/v1/usage")
    Map<String, Object> mine(
            @RequestParam(required = false) Long start,
            @RequestParam(required = false) Long end,
            @RequestParam(name = "group_by", required = false) String groupBy,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return usage(caller.keyId(), start, end, groupBy);
    }

    @GetMapping("/admin/usage")
    Map<String, Object> all(
            @RequestParam(required = false) Long start,
            @RequestParam(required = false) Long end,
            @RequestParam(name = "group_by", required = false) String groupBy) {
        return usage(null, start, end, groupBy);
    }

    private Map<String, Object> usage(UUID keyId, Long start, Long end, String groupBy) {
        String group = groupBy == null ? "model" : groupBy;
        String column = switch (group) {
            case "model" -> "model";
            case "day" -> "to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD')";
            default ->
                throw ApiException.invalidRequest(
                        "Invalid value for 'group_by': '" + group + "'. Supported values are: 'model' and 'day'.",
                        "group_by");
        };
        String keyColumn = keyId == null ? "api_key_id::text" : "null";
        StringBuilder sql = new StringBuilder("select " + column + " as bucket, " + keyColumn + " as key,"
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
                .param(
                        "end",
                        Timestamp.from(
                                end == null ? Instant.parse("9999-01-01T00:00:00Z") : Instant.ofEpochSecond(end)));
        if (keyId != null) {
            query = query.param("key", keyId);
        }
        List<Map<String, Object>> data = query.query((rs, n) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put(group, rs.getString("bucket"));
                    if (keyId == null) {
                        row.put("api_key_id", rs.getString("key"));
                    }
                    row.put("requests", rs.getLong("requests"));
                    row.put("audio_seconds", rs.getDouble("audio_seconds"));
                    row.put("billed_seconds", rs.getDouble("billed_seconds"));
                    row.put("input_tokens", rs.getLong("input_tokens"));
                    row.put("output_tokens", rs.getLong("output_tokens"));
                    row.put("audio_tokens", rs.getLong("audio_tokens"));
                    row.put("text_tokens", rs.getLong("text_tokens"));
                    return row;
                })
                .list();
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("group_by", group);
        list.put("data", data);
        return list;
    }
}
