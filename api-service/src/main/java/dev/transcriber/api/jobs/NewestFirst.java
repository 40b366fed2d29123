package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The keyset query behind every list (jobs, batches): the ids of a table's rows, newest first ({@code created_at desc,
 * id desc}), after a cursor row, narrowed by each condition given a value. One row more than the page is read, to
 * tell whether there is more.
 */
public final class NewestFirst {

    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;

    /** A page of ids, and whether more follow. */
    public record Page(List<UUID> ids, boolean hasMore) {}

    private final StringBuilder sql;
    private final Map<String, Object> params = new HashMap<>();

    /** The rows of {@code table} that meet {@code always}. */
    public NewestFirst(String table, String always) {
        this.sql = new StringBuilder("select id from " + table + " where " + always);
    }

    /** Narrowed by {@code condition} (naming {@code :name}) when {@code value} is given; unchanged when null. */
    public NewestFirst where(String condition, String name, Object value) {
        if (value != null) {
            sql.append(" and ").append(condition);
            params.put(name, value);
        }
        return this;
    }

    /** Only the rows after the one created at {@code createdAt} with {@code id}, in this order. */
    public NewestFirst after(Instant createdAt, UUID id) {
        sql.append(" and (created_at, id) < (:afterCreated, :afterId)");
        params.put("afterCreated", Timestamp.from(createdAt));
        params.put("afterId", id);
        return this;
    }

    /** The {@code limit} a list was asked for: 1 to 100, 20 when not given. */
    public static int pageSize(Integer limit) {
        int size = limit == null ? DEFAULT_LIMIT : limit;
        if (size < 1 || size > MAX_LIMIT) {
            throw ApiException.invalidRequest(
                    "Invalid value for 'limit': expected 1 to " + MAX_LIMIT + ", got " + size + ".", "limit");
        }
        return size;
    }

    public Page read(JdbcClient jdbc, int size) {
        List<UUID> ids = jdbc.sql(sql + " order by created_at desc, id desc limit " + (size + 1))
                .params(params)
                .query(UUID.class)
                .list();
        boolean hasMore = ids.size() > size;
        return new Page(hasMore ? ids.subList(0, size) : ids, hasMore);
    }
}
