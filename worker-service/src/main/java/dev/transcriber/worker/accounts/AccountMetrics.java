package dev.transcriber.worker.accounts;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.springframework.stereotype.Component;

/** The admin view as Micrometer metrics, tagged by account: state, in flight, calls by outcome, latency. */
@Component
class AccountMetrics implements MeterBinder {

    private static final List<String> FAILURES = List.of(
            "rate_limited", "unauthorized", "rejected", "server_error", "timeout", "connection", "bad_response");

    private final AccountPool pool;

    AccountMetrics(AccountPool pool) {
        this.pool = pool;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (AccountPool.AccountStatus account : pool.status()) {
            String id = account.id();
            gauge(registry, "transcriber.upstream.in_flight", id, s -> s.inFlight());
            gauge(registry, "transcriber.upstream.usable", id, s -> "active".equals(s.state()) ? 1 : 0);
            gauge(registry, "transcriber.upstream.latency.p50", id, s -> orNaN(s.latencyP50Ms()));
            gauge(registry, "transcriber.upstream.latency.p95", id, s -> orNaN(s.latencyP95Ms()));
            FunctionCounter.builder(
                            "transcriber.upstream.calls", pool, p -> find(p, id).successes())
                    .tags("account", id, "outcome", "success")
                    .register(registry);
            for (String kind : FAILURES) {
                FunctionCounter.builder(
                                "transcriber.upstream.calls",
                                pool,
                                p -> find(p, id).failures().getOrDefault(kind, 0L))
                        .tags("account", id, "outcome", kind)
                        .register(registry);
            }
        }
    }

    private void gauge(
            MeterRegistry registry, String name, String id, ToDoubleFunction<AccountPool.AccountStatus> value) {
        Gauge.builder(name, pool, p -> value.applyAsDouble(find(p, id)))
                .tag("account", id)
                .register(registry);
    }

    private static AccountPool.AccountStatus find(AccountPool pool, String id) {
        return pool.status(id);
    }

    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }
}
