package dev.transcriber.worker.accounts;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.springframework.stereotype.Component;

/**
 * The upstream accounts as Micrometer metrics, tagged by {@code account}:
 *
 * <ul>
 *   <li>{@code transcriber.upstream.calls}: a timer of every call, tagged {@code outcome} ({@code success},
 *       {@code rate_limited}, {@code unauthorized}, {@code rejected}, {@code server_error}, {@code timeout},
 *       {@code connection}, {@code bad_response}), published as a histogram ({@code _bucket} series), so latency
 *       quantiles can be taken over any number of workers; its count is the calls by outcome. The buckets span
 *       50 ms (quicker answers land in the first) to 10 min (the default {@code call-timeout}): about 60 a series;
 *   <li>{@code transcriber.upstream.in_flight}: calls in flight now;
 *   <li>{@code transcriber.upstream.usable}: 1 while the account can be called (not cooling, disabled or with an open
 *       circuit).
 * </ul>
 *
 * The pool keeps its own figures (latency p50/p95, counts) for {@code /admin/accounts}; they are not exported, since
 * one process's percentiles cannot be added up across workers.
 */
@Component
class AccountMetrics {

    static final String CALLS = "transcriber.upstream.calls";

    private final MeterRegistry registry;
    private final ConcurrentHashMap<Call, Timer> timers = new ConcurrentHashMap<>();

    AccountMetrics(AccountPool pool, MeterRegistry registry) {
        this.registry = registry;
        for (AccountPool.AccountStatus account : pool.status()) {
            String id = account.id();
            gauge(pool, "transcriber.upstream.in_flight", id, s -> s.inFlight());
            gauge(pool, "transcriber.upstream.usable", id, s -> "active".equals(s.state()) ? 1 : 0);
        }
    }

    /** One call to {@code account} ended with {@code outcome} after {@code took}. */
    void called(String account, String outcome, Duration took) {
        timers.computeIfAbsent(
                        new Call(account, outcome),
                        call -> Timer.builder(CALLS)
                                .description("Upstream calls by account and outcome, and how long they took")
                                .tag("account", call.account())
                                .tag("outcome", call.outcome())
                                .publishPercentileHistogram()
                                .minimumExpectedValue(Duration.ofMillis(50))
                                .maximumExpectedValue(Duration.ofMinutes(10))
                                .register(registry))
                .record(took.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void gauge(AccountPool pool, String name, String id, ToDoubleFunction<AccountPool.AccountStatus> value) {
        Gauge.builder(name, pool, p -> value.applyAsDouble(p.status(id)))
                .tag("account", id)
                .register(registry);
    }

    private record Call(String account, String outcome) {}
}
