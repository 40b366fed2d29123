package dev.transcriber.worker.accounts;

import dev.transcriber.common.wakeup.Channel;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The accounts' state shared by every worker, in PostgreSQL (tables {@code upstream_accounts}, {@code upstream_slots},
 * {@code upstream_slot_waiters}, {@code upstream_call_starts}). Time is the database's ({@code now()}), so workers
 * whose clocks differ still agree on leases and windows. Every statement is one short round trip; none is made per
 * call except a slot claim when the worker holds no idle slot, and the window of an account with a requests-per-minute
 * limit.
 */
public final class FleetLedger implements AccountLedger {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Long>> COUNTS = new TypeReference<>() {};

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final Duration slotLease;
    private final Duration waiterTtl;

    /**
     * {@code slotLease}: how long a slot stays held without renewal (a dead worker's slots come back after it);
     * {@code waiterTtl}: how long a worker that found no free slot counts as waiting.
     */
    public FleetLedger(JdbcClient jdbc, TransactionTemplate transactions, Duration slotLease, Duration waiterTtl) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.slotLease = slotLease;
        this.waiterTtl = waiterTtl;
    }

    @Override
    public void register(UpstreamAccount account) {
        jdbc.sql("""
                        insert into upstream_accounts (account_id, provider) values (:id, :provider)
                        on conflict (account_id) do update set provider = excluded.provider
                        where upstream_accounts.provider is distinct from excluded.provider""")
                .param("id", account.id())
                .param("provider", account.kind().name().toLowerCase(Locale.ROOT))
                .update();
        jdbc.sql("""
                        insert into upstream_slots (account_id, slot)
                        select :id, g from generate_series(0, :max - 1) g
                        on conflict do nothing""")
                .param("id", account.id())
                .param("max", account.maxConcurrency())
                .update();
        jdbc.sql("delete from upstream_slots where account_id = :id and slot >= :max")
                .param("id", account.id())
                .param("max", account.maxConcurrency())
                .update();
        // disabled for another key: this one has not been refused (every worker closes its own circuit for it too)
        changed(
                "update upstream_accounts set disabled_reason = null, disabled_key = null, resets = resets + 1,"
                        + " updated_at = now() where account_id = :id and disabled_reason is not null"
                        + " and disabled_key is distinct from :key",
                Map.of("id", account.id(), "key", account.keyFingerprint()));
    }

    @Override
    public OptionalInt claimSlot(String accountId, String holder, int keepFree) {
        // OFFSET keepFree leaves that many free slots to the lanes above; SKIP LOCKED lets claims of other workers
        // go by each other instead of queueing on the same row.
        List<Integer> claimed = jdbc.sql("""
                        with free as (
                            select slot from upstream_slots
                            where account_id = :id and (holder is null or held_until < now())
                            order by slot offset :keep limit 1
                            for update skip locked)
                        update upstream_slots s
                        set holder = :holder, held_until = now() + make_interval(secs => :lease)
                        from free where s.account_id = :id and s.slot = free.slot
                        returning s.slot""")
                .param("id", accountId)
                .param("keep", keepFree)
                .param("holder", holder)
                .param("lease", seconds(slotLease))
                .query(Integer.class)
                .list();
        if (claimed.isEmpty()) {
            jdbc.sql("""
                            insert into upstream_slot_waiters (account_id, worker, until)
                            values (:id, :holder, now() + make_interval(secs => :ttl))
                            on conflict (account_id, worker) do update set until = excluded.until""")
                    .param("id", accountId)
                    .param("holder", holder)
                    .param("ttl", seconds(waiterTtl))
                    .update();
            return OptionalInt.empty();
        }
        return OptionalInt.of(claimed.getFirst());
    }

    @Override
    public void stopWaiting(String accountId, String holder) {
        jdbc.sql("delete from upstream_slot_waiters where account_id = :id and worker = :holder")
                .param("id", accountId)
                .param("holder", holder)
                .update();
    }

    @Override
    public void releaseSlots(String accountId, String holder, Collection<Integer> slots) {
        if (slots.isEmpty()) {
            return;
        }
        jdbc.sql("""
                        update upstream_slots set holder = null, held_until = null
                        where account_id = :id and holder = :holder and slot = any(:slots)""")
                .param("id", accountId)
                .param("holder", holder)
                .param("slots", slots.toArray(Integer[]::new))
                .update();
    }

    @Override
    public Map<String, Set<Integer>> renew(String holder, Map<String, ? extends Collection<Integer>> slots) {
        List<String> accounts = new java.util.ArrayList<>();
        List<Integer> numbers = new java.util.ArrayList<>();
        slots.forEach((account, held) -> held.forEach(slot -> {
            accounts.add(account);
            numbers.add(slot);
        }));
        Map<String, Set<Integer>> kept = new HashMap<>();
        jdbc.sql("""
                        with mine as (select * from unnest(cast(:accounts as text[]), cast(:slots as integer[]))
                                      as m(account_id, slot)),
                        given_back as (
                            update upstream_slots s set holder = null, held_until = null
                            where s.holder = :holder
                              and not exists (select 1 from mine m
                                              where m.account_id = s.account_id and m.slot = s.slot)
                            returning 1)
                        update upstream_slots s set held_until = now() + make_interval(secs => :lease)
                        from mine m
                        where s.holder = :holder and s.account_id = m.account_id and s.slot = m.slot
                        returning s.account_id, s.slot""")
                .param("holder", holder)
                .param("accounts", accounts.toArray(String[]::new))
                .param("slots", numbers.toArray(Integer[]::new))
                .param("lease", seconds(slotLease))
                .query((rs, n) -> Map.entry(rs.getString(1), rs.getInt(2)))
                .list()
                .forEach(e ->
                        kept.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(e.getValue()));
        return kept;
    }

    @Override
    public Optional<Instant> takeCallStart(String accountId, int perMinute) {
        // The account's row lock orders the workers; the window is read by a statement that starts after the lock is
        // taken, so it sees the starts of the worker that held it before. The same statement drops the starts that
        // have left the window (only accounts with a limit have any).
        return transactions.execute(status -> {
            jdbc.sql("select 1 from upstream_accounts where account_id = :id for update")
                    .param("id", accountId)
                    .query(Integer.class)
                    .list();
            return jdbc.sql("""
                            with expired as (
                                delete from upstream_call_starts
                                where account_id = :id and started_at <= now() - interval '1 minute'),
                            window_ as (
                                select count(*) as calls, min(started_at) as first from upstream_call_starts
                                where account_id = :id and started_at > now() - interval '1 minute'),
                            taken as (
                                insert into upstream_call_starts (account_id, started_at)
                                select :id, now() from window_ where calls < :limit
                                returning 1)
                            select case when calls < :limit then null
                                        else first + interval '1 minute' end
                            from window_""")
                    .param("id", accountId)
                    .param("limit", perMinute)
                    .query((rs, n) -> Optional.ofNullable(rs.getTimestamp(1)).map(Timestamp::toInstant))
                    .single();
        });
    }

    @Override
    public void coolDown(String accountId, Instant until) {
        changed("""
                update upstream_accounts
                set cooling_until = greatest(coalesce(cooling_until, :until), :until), updated_at = now()
                where account_id = :id""", Map.of("id", accountId, "until", Timestamp.from(until)));
    }

    @Override
    public void disable(String accountId, String keyFingerprint, String reason) {
        changed(
                "update upstream_accounts set disabled_reason = :reason, disabled_key = :key, updated_at = now()"
                        + " where account_id = :id",
                Map.of("id", accountId, "key", keyFingerprint, "reason", reason));
    }

    @Override
    public void openCircuit(String accountId, Instant until) {
        changed("""
                update upstream_accounts
                set circuit_open_until = greatest(coalesce(circuit_open_until, :until), :until), updated_at = now()
                where account_id = :id""", Map.of("id", accountId, "until", Timestamp.from(until)));
    }

    @Override
    public void enable(String accountId) {
        changed("""
                update upstream_accounts
                set cooling_until = null, disabled_reason = null, circuit_open_until = null, resets = resets + 1,
                    updated_at = now()
                where account_id = :id""", Map.of("id", accountId));
    }

    /**
     * Runs {@code update} (of an account's shared state) and, in the same statement, tells every worker
     * ({@link Channel#ACCOUNTS}): a quiet worker reads the fleet's view only when told.
     */
    private void changed(String update, Map<String, ?> params) {
        jdbc.sql("with changed as (" + update + " returning 1) select pg_notify('" + Channel.ACCOUNTS.channel()
                        + "', '') from changed")
                .params(params)
                .query()
                .listOfRows();
    }

    @Override
    public void addCalls(String accountId, long successes, Map<String, Long> failures) {
        if (successes == 0 && failures.isEmpty()) {
            return;
        }
        jdbc.sql("""
                        update upstream_accounts a
                        set successes = a.successes + :successes,
                            failures = (select coalesce(jsonb_object_agg(kind, total), '{}'::jsonb)
                                        from (select kind, sum(n::bigint) as total
                                              from (select key as kind, value as n from jsonb_each_text(a.failures)
                                                    union all
                                                    select key, value from jsonb_each_text(cast(:failures as jsonb))) x
                                              group by kind) y)
                        where account_id = :id""")
                .param("id", accountId)
                .param("successes", successes)
                .param("failures", JSON.writeValueAsString(failures))
                .update();
    }

    @Override
    public Map<String, Shared> read(String holder) {
        Map<String, Shared> shared = new TreeMap<>();
        jdbc.sql("""
                        select a.account_id, a.cooling_until, a.disabled_reason, a.circuit_open_until, a.resets,
                               a.successes, a.failures::text,
                               (select count(*) from upstream_slots s
                                where s.account_id = a.account_id and s.holder is not null and s.held_until >= now()),
                               exists (select 1 from upstream_slot_waiters w
                                       where w.account_id = a.account_id and w.worker <> :holder and w.until > now()),
                               a.disabled_key
                        from upstream_accounts a""")
                .param("holder", holder)
                .query((rs, n) -> Map.entry(
                        rs.getString(1),
                        new Shared(
                                instant(rs.getTimestamp(2)),
                                rs.getString(3),
                                rs.getString(10),
                                instant(rs.getTimestamp(4)),
                                rs.getLong(5),
                                rs.getLong(6),
                                JSON.readValue(rs.getString(7), COUNTS),
                                rs.getInt(8),
                                rs.getBoolean(9))))
                .list()
                .forEach(e -> shared.put(e.getKey(), e.getValue()));
        return shared;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }
}
