package dev.transcriber.worker.accounts;

import dev.transcriber.common.transcript.Transcript;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Transcribes through the pool: each attempt takes the best account at that moment, so a retry is also a failover.
 * A 429 cools the account down; a refused key disables it.
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
        return Retry.decorateSupplier(retry, () -> attempt(call, until)).get();
    }

    private Result attempt(UpstreamCall call, long untilNanos) {
        Duration left = Duration.ofNanos(untilNanos - System.nanoTime());
        if (left.isNegative() || left.isZero()) {
            throw new DeadlineExceededException(deadline);
        }
        try (AccountPool.Lease lease = pool.acquire(call.model(), call.lane(), left, call.translates())) {
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
