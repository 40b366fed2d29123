package dev.transcriber.api.keys;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.web.Unavailable;
import dev.transcriber.standalone.support.BoundedThreads;
import dev.transcriber.standalone.support.ManualClock;
import dev.transcriber.standalone.support.SliceInfrastructure;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Requests per minute per key, counted in a real PostgreSQL: concurrent callers on two api instances (two pools on
 * one database) never get more than the limit through together, an instance takes a large limit from the fleet's
 * count in blocks and refuses without a query once that count is spent, windows roll over on the minute of the
 * injected clock, and keys are counted apart.
 */
class RateLimitsTest {

    private static final Instant NOON = Instant.parse("2025-03-10T12:00:00Z");

    private static SliceInfrastructure.Database database;

    private final ManualClock clock = new ManualClock(NOON);

    @BeforeAll
    static void start() {
        database = SliceInfrastructure.database("rate_limits");
    }

    @AfterAll
    static void stop() {
        if (database != null) {
            database.close();
        }
    }

    @Test
    void eachRequestCountsOnceAndTheOneOverTheLimitIsExceeded() {
        RateLimits limits = new RateLimits(database.jdbc(), clock);
        UUID key = UUID.randomUUID();
        clock.set(NOON.plusSeconds(48));

        List<RateLimits.Window> windows =
                IntStream.range(0, 4).mapToObj(i -> limits.count(key, 3)).toList();

        assertThat(windows).extracting(RateLimits.Window::remaining).containsExactly(2, 1, 0, 0);
        assertThat(windows).extracting(RateLimits.Window::exceeded).containsExactly(false, false, false, true);
        assertThat(windows).allSatisfy(window -> {
            assertThat(window.limit()).isEqualTo(3);
            assertThat(window.resetsAt()).isEqualTo(NOON.plus(Duration.ofMinutes(1)));
        });
        assertThat(windows.getLast().resetHeader(clock.instant())).isEqualTo("12s");
        ApiException refusal = RateLimits.exceeded(windows.getLast());
        assertThat(refusal.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(refusal.code()).isEqualTo("rate_limit_exceeded");
        assertThat(refusal.resetsAt()).isEqualTo(NOON.plus(Duration.ofMinutes(1)));
        assertThat(refusal.getMessage()).isEqualTo("Rate limit exceeded. Usage resets at 2025-03-10T12:01:00Z.");
    }

    @Test
    void concurrentCallersOnTwoInstancesGetExactlyTheLimitThroughTogether() throws Exception {
        UUID key = UUID.randomUUID();
        int limit = 5;

        List<RateLimits.Window> windows = countOnTwoInstances(key, limit, 16, 1);

        assertThat(windows.stream().filter(w -> !w.exceeded())).hasSize(limit);
        assertThat(windows.stream().filter(w -> !w.exceeded()).map(RateLimits.Window::remaining))
                .as("each allowed request saw its own count")
                .containsExactlyInAnyOrder(4, 3, 2, 1, 0);
        assertThat(requests(key, NOON))
                .as("once an instance found the limit taken, it refused without asking again: one ask each at most")
                .isBetween(limit + 1, limit + 2);
    }

    @Test
    void aLargeLimitIsTakenInBlocksAndNeverExceededAcrossInstances() throws Exception {
        UUID key = UUID.randomUUID();
        int limit = 1000;
        int block = RateLimits.block(limit);
        assertThat(block).isEqualTo(20);

        List<RateLimits.Window> windows = countOnTwoInstances(key, limit, 16, 80); // 1,280 requests for 1,000

        long allowed = windows.stream().filter(w -> !w.exceeded()).count();
        assertThat(allowed).as("never more than the limit").isLessThanOrEqualTo(limit);
        assertThat(allowed).as("at most the other instance's last block unused").isGreaterThanOrEqualTo(limit - block);
        assertThat(requests(key, NOON))
                .as("taken in blocks of 20, with one ask each past the limit: about 50 statements for 1,280 requests")
                .isBetween(limit, limit + 2 * block);
        assertThat(windows.stream().filter(RateLimits.Window::exceeded))
                .allSatisfy(window -> assertThat(window.remaining()).isZero());
    }

    @Test
    void theLastBlockIsGrantedOnlyAsFarAsTheLimitAndALimitChangedMidMinuteCountsWhatWasTaken() {
        RateLimits limits = new RateLimits(database.jdbc(), clock);
        UUID key = UUID.randomUUID();
        int limit = 1010; // blocks of 20: the 51st is granted 10

        long allowed = IntStream.range(0, limit + 30)
                .mapToObj(i -> limits.count(key, limit))
                .filter(window -> !window.exceeded())
                .count();

        assertThat(allowed).isEqualTo(limit);
        assertThat(requests(key, NOON)).as("51 blocks of 20").isEqualTo(1020);

        // the operator raises the key's limit in the same minute: what the fleet took still counts
        List<RateLimits.Window> raised =
                IntStream.range(0, 30).mapToObj(i -> limits.count(key, 1030)).toList();
        assertThat(raised.stream().filter(window -> !window.exceeded())).hasSize(10);
        assertThat(raised.getFirst().remaining()).isEqualTo(9);
    }

    @Test
    void whenTakingABlockFailsTheKeysWaitingRequestsFailAtOnceInsteadOfEachWaitingForAConnection() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl());
        config.setUsername(database.user());
        config.setPassword(database.password());
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(500);
        int callers = 6;
        List<Throwable> failures = new ArrayList<>();
        try (HikariDataSource pool = new HikariDataSource(config);
                Connection held = pool.getConnection(); // the pool's only connection: every take waits, then fails
                BoundedThreads threads = BoundedThreads.of(callers, "rate-limit-callers")) {
            RateLimits limits = new RateLimits(JdbcClient.create(pool), clock);
            UUID key = UUID.randomUUID();
            CyclicBarrier together = new CyclicBarrier(callers);
            List<Future<RateLimits.Window>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                calls.add(threads.submit(() -> {
                    BoundedThreads.await(together, Duration.ofSeconds(30), "the callers");
                    return limits.count(key, 1000);
                }));
            }
            for (Future<RateLimits.Window> call : calls) {
                try {
                    call.get(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
        }

        assertThat(failures)
                .hasSize(callers)
                .allSatisfy(failure -> assertThat(Unavailable.databaseDown(failure))
                        .as("a 503, as for the database down")
                        .isTrue());
        assertThat(failures.stream().filter(failure -> failure.getMessage().startsWith("rate limit: ")))
                .as("waited for the failed take and failed with it, without a wait of their own for a connection")
                .hasSizeGreaterThanOrEqualTo(callers - 2);
    }

    @Test
    void oneInstanceReportsWhatIsLeftExactlyWhileItTakesInBlocks() {
        RateLimits limits = new RateLimits(database.jdbc(), clock);
        UUID key = UUID.randomUUID();
        int limit = 200; // blocks of 4

        List<RateLimits.Window> windows = IntStream.range(0, limit + 3)
                .mapToObj(i -> limits.count(key, limit))
                .toList();

        assertThat(windows.subList(0, limit))
                .extracting(RateLimits.Window::remaining)
                .containsExactlyElementsOf(IntStream.range(0, limit)
                        .map(i -> limit - 1 - i)
                        .boxed()
                        .toList());
        assertThat(windows.subList(limit, limit + 3)).allSatisfy(window -> {
            assertThat(window.exceeded()).isTrue();
            assertThat(window.remaining()).isZero();
        });
        assertThat(requests(key, NOON))
                .as("50 blocks of 4; the last one spent the limit, so the refusals asked nothing")
                .isEqualTo(limit);
    }

    @Test
    void aNewMinuteStartsANewWindowAndTheLastMillisecondBelongsToTheOldOne() {
        RateLimits limits = new RateLimits(database.jdbc(), clock);
        UUID key = UUID.randomUUID();
        limits.count(key, 2);
        limits.count(key, 2);

        Instant lastMillisecondOfTheMinute = NOON.plus(Duration.ofMinutes(1)).minusMillis(1);
        clock.set(lastMillisecondOfTheMinute);
        RateLimits.Window lastMillisecond = limits.count(key, 2);
        clock.set(NOON.plus(Duration.ofMinutes(1)));
        RateLimits.Window nextMinute = limits.count(key, 2);

        assertThat(lastMillisecond.exceeded()).isTrue();
        assertThat(lastMillisecond.resetHeader(lastMillisecondOfTheMinute)).isEqualTo("0s");
        assertThat(nextMinute.exceeded()).isFalse();
        assertThat(nextMinute.remaining()).isEqualTo(1);
        assertThat(nextMinute.resetsAt()).isEqualTo(NOON.plus(Duration.ofMinutes(2)));
        assertThat(nextMinute.resetHeader(clock.instant())).isEqualTo("1m0s");
    }

    @Test
    void keysAreCountedApart() {
        RateLimits limits = new RateLimits(database.jdbc(), clock);
        UUID busy = UUID.randomUUID();
        UUID quiet = UUID.randomUUID();
        limits.count(busy, 1);
        assertThat(limits.count(busy, 1).exceeded()).isTrue();

        RateLimits.Window other = limits.count(quiet, 1);

        assertThat(other.exceeded()).isFalse();
        assertThat(other.remaining()).isZero();
    }

    @Test
    void theSweepDeletesOnlyWindowsMoreThanFiveMinutesOld() {
        RateLimits limits = new RateLimits(database.jdbc(), clock);
        UUID key = UUID.randomUUID();
        Instant start = NOON.plus(Duration.ofHours(1));
        for (int minute = 0; minute <= 6; minute++) {
            clock.set(start.plus(Duration.ofMinutes(minute)));
            limits.count(key, 10);
        }

        limits.sweep();

        // now is start + 6 min: windows older than start + 1 min go
        assertThat(database
                        .jdbc()
                        .sql("select window_start from rate_windows where api_key_id = :key order by window_start")
                        .param("key", key)
                        .query(java.sql.Timestamp.class)
                        .list()
                        .stream()
                        .map(java.sql.Timestamp::toInstant))
                .containsExactly(
                        start.plus(Duration.ofMinutes(1)),
                        start.plus(Duration.ofMinutes(2)),
                        start.plus(Duration.ofMinutes(3)),
                        start.plus(Duration.ofMinutes(4)),
                        start.plus(Duration.ofMinutes(5)),
                        start.plus(Duration.ofMinutes(6)));
    }

    /**
     * {@code callers} callers, half on each of two api instances (each its own pool of connections to the one
     * database), start together and count {@code each} requests of {@code key} one after the other.
     */
    private List<RateLimits.Window> countOnTwoInstances(UUID key, int limit, int callers, int each) throws Exception {
        RateLimits first = new RateLimits(JdbcClient.create(database.newPool(8)), clock);
        RateLimits second = new RateLimits(JdbcClient.create(database.newPool(8)), clock);
        CyclicBarrier together = new CyclicBarrier(callers);
        List<RateLimits.Window> windows = new ArrayList<>();
        try (BoundedThreads threads = BoundedThreads.of(callers, "rate-limit-callers")) {
            List<Future<List<RateLimits.Window>>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                RateLimits instance = i % 2 == 0 ? first : second;
                calls.add(threads.submit(() -> {
                    BoundedThreads.await(together, Duration.ofSeconds(30), "the callers");
                    return IntStream.range(0, each)
                            .mapToObj(n -> instance.count(key, limit))
                            .toList();
                }));
            }
            for (Future<List<RateLimits.Window>> call : calls) {
                windows.addAll(BoundedThreads.get(call, Duration.ofSeconds(60), "a caller's counts"));
            }
        }
        return windows;
    }

    private static int requests(UUID key, Instant window) {
        return database.jdbc()
                .sql("select requests from rate_windows where api_key_id = :key and window_start = :window")
                .param("key", key)
                .param("window", java.sql.Timestamp.from(window))
                .query(Integer.class)
                .single();
    }
}
