package dev.transcriber.worker.accounts;

import dev.transcriber.common.transcript.Transcript;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Transcribes through the pool: each attempt takes the best account at that moment, so a retry is also a failover.
 * A 429 cools the account down; a refused key disables it.
 */
@Component
public class UpstreamTranscriber {

    private static final Logger log = LoggerFactory.getLogger(UpstreamTranscriber.class);

    private final AccountPool pool;
    private final OpenAiCompatibleClient client;
    private final Retry retry;

    UpstreamTranscriber(AccountPool pool, OpenAiCompatibleClient client, UpstreamRetryPolicy policy) {
        this.pool = pool;
        this.client = client;
        this.retry = policy.retry();
    }

    /** The transcript and the account that made it. */
    public Result transcribe(UpstreamCall call) {
        return Retry.decorateSupplier(retry, () -> attempt(call)).get();
    }

    private Result attempt(UpstreamCall call) {
        try (AccountPool.Lease lease = pool.acquire(call.model())) {
            UpstreamAccount account = lease.account();
            long started = System.nanoTime();
            try {
                Result result = new Result(client.transcribe(account, call), account.id());
                pool.record(account, "success", Duration.ofNanos(System.nanoTime() - started));
                return result;
            } catch (UpstreamException e) {
                pool.record(account, outcome(e), Duration.ofNanos(System.nanoTime() - started));
                switch (e) {
                    case UpstreamException.RateLimited limited -> pool.coolDown(account, limited.until());
                    case UpstreamException.Unauthorized refused -> pool.disable(account, refused.getMessage());
                    default -> log.warn("upstream {} failed: {}", account.id(), e.getMessage());
                }
                throw e;
            }
        }
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
