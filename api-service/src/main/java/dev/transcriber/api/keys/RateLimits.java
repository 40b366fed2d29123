package dev.transcriber.api.keys;

import dev.transcriber.api.errors.ApiException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;

/**
 * Requests per minute per key, shared by every api instance. The fleet's count of a key's minute is one row in
 * PostgreSQL, added to in one atomic upsert; an instance takes its requests from it in blocks and counts a block off
 * in memory, so most requests cost no round trip. A block is {@link #BLOCK_SHARE_PERCENT}% of the limit, at most
 * {@link #MAX_BLOCK} (a limit under 100 a minute: one request, every request counted in the row). A block is granted
 * only as far as the limit is not yet taken, so <b>the fleet never lets more than the limit through</b>. What an
 * instance took and did not use by the minute's end is lost to the others: a key served by several instances in the
 * same minute may be refused at most one block per other instance (2% of its limit each) before its limit. Once the
 * row says the limit is taken, the instance refuses the key's requests for the rest of the minute without a query (a
 * block is never given back, so the count only grows within its minute). What is left ({@link Window#remaining}) is
 * exact with one instance; with several, it is as of this instance's last block. A key's blocks are taken one at a
 * time per instance; when taking one fails (the database unreachable), the key's other requests waiting for it fail
 * at once for {@link #FAILED_TAKE_HOLDS} instead of each waiting for a connection in turn. Old windows are swept.
 */
@Service
public class RateLimits {

    /** The share of a key's limit an instance takes from the fleet's count at a time. */
    static final int BLOCK_SHARE_PERCENT = 2;

    /** The most requests an instance takes from the fleet's count at a time. */
    static final int MAX_BLOCK = 50;

    /** How long a failed take of a block fails the key's requests waiting for one, without trying again. */
    static final Duration FAILED_TAKE_HOLDS = Duration.ofSeconds(1);

    private final JdbcClient jdbc;
    private final Clock clock;
    private final ConcurrentHashMap<UUID, Taken> taken = new ConcurrentHashMap<>();

    RateLimits(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The limit, what is left of it and when the window resets, after counting this request. */
    public record Window(int limit, int remaining, Instant resetsAt, boolean exceeded) {

        /** {@code X-RateLimit-Reset-Requests} as OpenAI writes it ({@code 12s}, {@code 1m0s}). */
        public String resetHeader(Instant now) {
            long seconds = Math.max(0, Duration.between(now, resetsAt).toSeconds());
            return seconds >= 60 ? (seconds / 60) + "m" + (seconds % 60) + "s" : seconds + "s";
        }
    }

    /** How many requests an instance takes from the fleet's count at a time, for a key allowed {@code limit}. */
    static int block(int limit) {
        return Math.clamp(limit * BLOCK_SHARE_PERCENT / 100, 1, MAX_BLOCK);
    }

    public Window count(UUID keyId, int limit) {
        Instant now = clock.instant();
        Instant window = now.truncatedTo(ChronoUnit.MINUTES);
        Taken mine = taken.compute(
                keyId,
                (key, held) -> held == null || !held.window.equals(window) || held.limit != limit
                        ? new Taken(window, limit)
                        : held);
        mine.lock.lock();
        try {
            if (mine.used == mine.granted && !mine.exhausted()) {
                takeOrFail(keyId, mine);
            }
            boolean exceeded = mine.used == mine.granted;
            if (!exceeded) {
                mine.used++;
            }
            // what the fleet has taken, less what this instance took and has not used yet
            int remaining = limit - Math.min(mine.fleetTaken, limit) + (mine.granted - mine.used);
            return new Window(limit, Math.max(0, remaining), window.plus(Duration.ofMinutes(1)), exceeded);
        } finally {
            mine.lock.unlock();
        }
    }

    /**
     * Takes a block, unless a take failed within {@link #FAILED_TAKE_HOLDS}: then fails at once, as that one did (the
     * requests that queued behind a take waiting for a connection would otherwise each wait for one in turn).
     */
    private void takeOrFail(UUID keyId, Taken mine) {
        long now = System.nanoTime();
        if (mine.failed != null && now - mine.failedAt < FAILED_TAKE_HOLDS.toNanos()) {
            throw new DataAccessResourceFailureException(
                    "rate limit: the count of this key's minute could not be taken just now", mine.failed);
        }
        try {
            take(keyId, mine);
            mine.failed = null;
        } catch (RuntimeException e) {
            mine.failed = e;
            mine.failedAt = System.nanoTime();
            throw e;
        }
    }

    /** Takes a block from the fleet's count of this key's minute, as far as its limit is not yet taken. */
    private void take(UUID keyId, Taken mine) {
        int block = block(mine.limit);
        int after = jdbc.sql(
                        "insert into rate_windows (api_key_id, window_start, requests) values (:key, :window, :block)"
                                + " on conflict (api_key_id, window_start) do update"
                                + " set requests = rate_windows.requests + :block returning requests")
                .param("key", keyId)
                .param("window", Timestamp.from(mine.window))
                .param("block", block)
                .query(Integer.class)
                .single();
        int before = after - block;
        int granted = Math.clamp(mine.limit - before, 0, block);
        mine.granted += granted;
        mine.fleetTaken = after;
    }

    /** What this instance took of a key's minute, and how much of it it used. */
    private static final class Taken {
        private final Instant window;
        private final int limit;
        private final ReentrantLock lock = new ReentrantLock();
        private int granted;
        private int used;
        /** The fleet's count of this minute when this instance last took from it. */
        private int fleetTaken;
        /** The last take's failure, if it failed, and when ({@link System#nanoTime}). */
        private RuntimeException failed;

        private long failedAt;

        Taken(Instant window, int limit) {
            this.window = window;
            this.limit = limit;
        }

        /** The fleet's count has reached the limit: nothing more can be taken this minute. */
        boolean exhausted() {
            return fleetTaken >= limit;
        }
    }

    /** Seed 000's 429. */
    public static ApiException exceeded(Window window) {
        return new ApiException(
                        org.springframework.http.HttpStatus.TOO_MANY_REQUESTS,
                        "rate_limit_error",
                        "rate_limit_exceeded",
                        null,
                        "Rate limit exceeded. Usage resets at " + window.resetsAt() + ".")
                .resetsAt(window.resetsAt());
    }

    @Scheduled(fixedDelay = 60_000)
    void sweep() {
        Instant current = clock.instant().truncatedTo(ChronoUnit.MINUTES);
        taken.values().removeIf(held -> held.window.isBefore(current));
        jdbc.sql("delete from rate_windows where window_start < :before")
                .param("before", Timestamp.from(clock.instant().minus(Duration.ofMinutes(5))))
                .update();
    }
}
