package dev.transcriber.worker.jobs;

import dev.transcriber.common.web.Unavailable;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Component;

/**
 * Writing a paid-for result, or a step of the cutting that work is paid on, as a retry policy: while the database
 * cannot be reached (or the connection ended under a commit whose answer was lost), the result stays in memory and the
 * write is tried again with back-off (0.5 s doubling to 8 s) for up to {@code transcriber.worker.result-write-patience}
 * (90 s, under the lease), instead of leaving the job to be cut and transcribed again after its lease. Each write so
 * sent recognises its own earlier commit; a conflict (a unique key taken, a row's version moved) after such a send is
 * that earlier send committing late, and the write is sent once more to find it. Fencing still decides: if another
 * worker took the job meanwhile, the write is dropped.
 */
@Component
class ResultWrites {

    private static final Logger log = LoggerFactory.getLogger(ResultWrites.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(8);
    private static final int MAX_CONFLICTS = 3;

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
        boolean sentBefore = false; // an earlier send ended with its connection: it may have committed, or still run
        int conflicts = 0;
        while (true) {
            try {
                return write.get();
            } catch (RuntimeException e) {
                if (sentBefore && conflict(e) && conflicts++ < MAX_CONFLICTS) {
                    // the earlier send committed while this one ran (its server process had not ended when the
                    // connection did): sent once more, the write finds its own commit
                    log.info("a result's earlier send committed meanwhile ({}); sending it once more", e.toString());
                    continue;
                }
                if (!Unavailable.databaseDown(e) || System.nanoTime() + backoff.toNanos() > until) {
                    throw e;
                }
                sentBefore = true;
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

    /** A unique key taken, or a row's version moved: what a concurrent commit of the same write causes. */
    private static boolean conflict(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof DataIntegrityViolationException || cause instanceof ConcurrencyFailureException) {
                return true;
            }
        }
        return false;
    }
}
