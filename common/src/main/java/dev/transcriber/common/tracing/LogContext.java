package dev.transcriber.common.tracing;

import java.util.UUID;
import org.slf4j.MDC;

/**
 * What a log line is about, in the logging context (MDC) of the thread doing the work: {@value #JOB_ID} while a job
 * is submitted or runs, {@value #KEY_ID} once a request is authenticated. (The trace and span ids, {@code traceId}
 * and {@code spanId}, are put there by Micrometer Tracing while a span is in scope.) Structured logs
 * ({@code logging.structured.format.console}) carry every entry as a field of its own.
 *
 * <p>The MDC belongs to a thread: a new thread (every virtual thread) starts without it, so it is set where the work
 * runs, and closing restores what was there before, so nothing leaks into the next task on a pooled thread.
 */
public final class LogContext implements AutoCloseable {

    public static final String JOB_ID = "job_id";
    public static final String KEY_ID = "key_id";

    private final String key;
    private final String previous;

    private LogContext(String key, String previous) {
        this.key = key;
        this.previous = previous;
    }

    /** Puts {@code value} under {@code key} until {@link #close} (a null value leaves the context as it is). */
    public static LogContext put(String key, Object value) {
        String previous = MDC.get(key);
        if (value != null) {
            MDC.put(key, value.toString());
        }
        return new LogContext(key, previous);
    }

    public static LogContext job(Object jobId) {
        return put(JOB_ID, jobId);
    }

    public static LogContext key(UUID keyId) {
        return put(KEY_ID, keyId);
    }

    /**
     * Opens the log context of a request on this thread: {@link #jobFromHere} and {@link #keyFromHere} take hold only
     * inside one, which starts without either id and, closed, restores what was there before. Outside a request
     * (a test or task calling a service directly, a listener, a scheduler on a pooled thread) they do nothing, so no
     * id outlives the work it belongs to.
     */
    public static Request request() {
        return new Request();
    }

    /** Puts the job id for the rest of the request on this thread ({@link #request}); outside one, nothing. */
    public static void jobFromHere(Object jobId) {
        if (jobId != null && Request.OPEN.get() != null) {
            MDC.put(JOB_ID, jobId.toString());
        }
    }

    /** Puts the key id for the rest of the request on this thread ({@link #request}); outside one, nothing. */
    public static void keyFromHere(UUID keyId) {
        if (keyId != null && Request.OPEN.get() != null) {
            MDC.put(KEY_ID, keyId.toString());
        }
    }

    /** The log context of a request on its thread ({@link #request}). */
    public static final class Request implements AutoCloseable {

        private static final ThreadLocal<Request> OPEN = new ThreadLocal<>();

        private final Request outer = OPEN.get();
        private final LogContext job = put(JOB_ID, null);
        private final LogContext key = put(KEY_ID, null);

        private Request() {
            MDC.remove(JOB_ID); // a request starts with no other work's ids
            MDC.remove(KEY_ID);
            OPEN.set(this);
        }

        @Override
        public void close() {
            job.close();
            key.close();
            if (outer == null) {
                OPEN.remove();
            } else {
                OPEN.set(outer);
            }
        }
    }

    @Override
    public void close() {
        if (previous == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, previous);
        }
    }
}
