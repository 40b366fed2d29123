package dev.transcriber.worker.jobs;

import dev.transcriber.common.web.Unavailable;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Writing a paid-for result, or a step of the cutting that work is paid on, as a retry policy: while the database
 * cannot be reached (or the connection ended under a commit whose answer was lost), the result stays in memory and the
 * write is tried again with back-off (0.5 s doubling to 8 s) for up to {@code transcriber.worker.result-write-patience}
 * (90 s, under the lease), instead of leaving the job to be cut and transcribed again after its lease. Each write so
 * sent recognises its own earlier commit. Fencing still decides: if another worker took the job meanwhile, the write
 * is dropped.
 */
@Component
class ResultWrites {

    private static final Logger log = LoggerFactory.getLogger(ResultWrites.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(8);

    private final Duration patience;

    ResultWrites(@Value("${transcriber.worker.result-write-patience:90s}") Duration patience) {
        this.patience = patience;
    }

    void write(Runnable write) {
        write(() -> {
            write.run();
            return null;
        });
    }

    <T> T write(Supplier<T> write) {
        long until = System.nanoTime() + patience.toNanos();
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try {
                return write.get();
            } catch (RuntimeException e) {
                if (!Unavailable.databaseDown(e) || System.nanoTime() + backoff.toNanos() > until) {
                    throw e;
                }
                log.warn("a result could not be written ({}); trying again in {} ms", e.toString(), backoff.toMillis());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }
}
