package dev.transcriber.api.admin;

import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the upstream accounts' fleet-wide state from the tables the workers keep it in ({@code upstream_accounts},
 * {@code upstream_slots}, {@code upstream_slot_waiters}), judged by the database's clock as the workers judge it.
 * One statement; the api never writes these tables. The reason is the one a worker recorded for a disabled account,
 * else what the state means (a cooldown only ever follows a 429, an open circuit repeated failures). Accounts a worker keeps in its own process only (the offline
 * engine) are not in them.
 */
@Component
class FleetAccounts {

    private static final TypeReference<Map<String, Long>> COUNTS = new TypeReference<>() {};

    private final JdbcClient jdbc;
    private final JsonMapper json;

    FleetAccounts(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    List<AccountView> all() {
        return jdbc.sql("""
                        select a.account_id, a.provider,
                               case when a.disabled_reason is not null then 'disabled'
                                    when a.circuit_open_until > now() then 'circuit_open'
                                    when a.cooling_until > now() then 'cooling'
                                    else 'usable' end,
                               case when a.cooling_until > now() then a.cooling_until end,
                               case when a.disabled_reason is not null then a.disabled_reason
                                    when a.circuit_open_until > now()
                                        then 'repeated upstream failures opened the circuit'
                                    when a.cooling_until > now()
                                        then 'the upstream answered 429 (rate limited) until its reset' end,
                               case when a.circuit_open_until > now() then a.circuit_open_until end,
                               (select count(*) from upstream_slots s where s.account_id = a.account_id
                                    and s.holder is not null and s.held_until >= now()),
                               (select count(*) from upstream_slots s where s.account_id = a.account_id),
                               (select count(*) from upstream_slot_waiters w where w.account_id = a.account_id
                                    and w.until > now()),
                               a.successes, a.failures::text, a.updated_at
                        from upstream_accounts a order by a.account_id""")
                .query((rs, n) -> new AccountView(
                        rs.getString(1),
                        "upstream_account",
                        rs.getString(2),
                        rs.getString(3),
                        epoch(rs.getTimestamp(4)),
                        rs.getString(5),
                        epoch(rs.getTimestamp(6)),
                        rs.getInt(7),
                        rs.getInt(8) == 0 ? null : rs.getInt(8),
                        rs.getInt(9),
                        rs.getLong(10),
                        json.readValue(rs.getString(11), COUNTS),
                        rs.getTimestamp(12).toInstant().getEpochSecond()))
                .list();
    }

    private static Long epoch(Timestamp at) {
        return at == null ? null : at.toInstant().getEpochSecond();
    }
}
