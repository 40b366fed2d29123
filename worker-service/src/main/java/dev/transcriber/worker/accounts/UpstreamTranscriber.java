package dev.transcriber.worker.accounts;

import dev.transcriber.common.transcript.Transcript;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SequencedSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Transcribes through the pool: each attempt takes the best account at that moment, so a retry is also a failover.
 * A 429 cools the account down; a refused key disables it; a refused call (403) is not asked of that account again.
 */
@Component
public class UpstreamTranscriber {

    private static final Logger log = LoggerFactory.getLogger(UpstreamTranscriber.class);

    private final AccountPool pool;
    private final List<TranscriptionProvider> providers;
    private final Retry retry;
    private final Duration deadline;
    private final AccountMetrics metrics;

    @Autowired
    UpstreamTranscriber(
            AccountPool pool,
            List<TranscriptionProvider> providers,
            UpstreamRetryPolicy policy,
            @Value("${transcriber.upstream.deadline:30m}") Duration deadline,
            AccountMetrics metrics) {
        this.pool = pool;
        this.providers = List.copyOf(providers);
        this.retry = policy.retry();
        this.deadline = deadline;
        this.metrics = metrics;
    }

    /** Without a registry of its own (tests, tools): calls are timed in a throwaway one. */
    UpstreamTranscriber(
            AccountPool pool, List<TranscriptionProvider> providers, UpstreamRetryPolicy policy, Duration deadline) {
        this(pool, providers, policy, deadline, new AccountMetrics(pool, new SimpleMeterRegistry()));
    }

    /**
     * The transcript and the account that made it. The whole of it, waits for capacity and retries included, stays
     * within {@code transcriber.upstream.deadline}.
     */
    public Result transcribe(UpstreamCall call) {
        long until = System.nanoTime() + deadline.toNanos();
        Forbidden forbidden = new Forbidden();
        return Retry.decorateSupplier(retry, () -> attempt(call, until, forbidden))
                .get();
    }

    /**
     * The accounts that refused this call with a 403, which are not asked again for it, the last one last: once every
     * account that serves the model has refused it, a 403 is the call's answer (not retried). A call's attempts run
     * one after the other on its thread.
     */
    private static final class Forbidden {
        final SequencedSet<String> by = new LinkedHashSet<>();

        String last() {
            return by.isEmpty() ? null : by.getLast();
        }
    }

    private Result attempt(UpstreamCall call, long untilNanos, Forbidden forbidden) {
        Duration left = Duration.ofNanos(untilNanos - System.nanoTime());
        if (left.isNegative() || left.isZero()) {
            throw new DeadlineExceededException(deadline);
        }
        AccountPool.Lease taken;
        try {
            taken = pool.acquire(call.model(), call.lane(), left, call.translates(), forbidden.by);
        } catch (NoAccountsException.EveryOneRefused e) {
            // the upstreams' own words were logged with each refusal; a rejection's message may reach a caller
            throw new UpstreamException.Rejected(
                    forbidden.last(), 403, "Every upstream account that serves the model refused this call (HTTP 403)");
        }
        try (AccountPool.Lease lease = taken) {
            UpstreamAccount account = lease.account();
            long started = System.nanoTime();
            try {
                Duration timeout = Duration.ofNanos(Math.max(1_000_000, untilNanos - started));
                Result result = new Result(provider(account).transcribe(account, call, timeout), account.id());
                recorded(account, "success", started);
                return result;
            } catch (UpstreamException e) {
                recorded(account, outcome(e), started);
                switch (e) {
                    case UpstreamException.RateLimited limited -> pool.coolDown(account, limited.until());
                    case UpstreamException.Unauthorized refused
                    when refused.refusesTheKey() -> pool.disable(account, refused.getMessage());
                    case UpstreamException.Unauthorized refused -> {
                        log.warn("upstream {} refused this call: {}", account.id(), refused.getMessage());
                        forbidden.by.add(account.id());
                    }
                    default -> log.warn("upstream {} failed: {}", account.id(), e.getMessage());
                }
                throw e;
            }
        }
    }

    /** The pool's own figures (for its choices and {@code /admin/accounts}) and the exported timer. */
    private void recorded(UpstreamAccount account, String outcome, long startedNanos) {
        Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
        pool.record(account, outcome, took);
        metrics.called(account.id(), outcome, took);
    }

    private TranscriptionProvider provider(UpstreamAccount account) {
        return providers.stream()
                .filter(p -> p.handles(account.kind()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no provider for " + account.kind()));
    }

    private static String outcome(UpstreamException e) {
        return switch (e) {
            case UpstreamException.RateLimited ignored -> "rate_limited";
            case UpstreamException.Unauthorized ignored -> "unauthorized";
            case UpstreamException.Rejected ignored -> "rejected";
            case UpstreamException.Retryable retryable -> retryable.kind();
        };
    }

    public record Result(Transcript transcript, String accountId) {}
}
