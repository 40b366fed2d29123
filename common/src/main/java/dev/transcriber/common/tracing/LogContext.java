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

    /** Puts the job id for the rest of what this thread does (a request ends by clearing it: {@link #clear}). */
    public static void jobFromHere(Object jobId) {
        if (jobId != null) {
            MDC.put(JOB_ID, jobId.toString());
        }
    }

    /** Puts the key id for the rest of what this thread does (a request ends by clearing it: {@link #clear}). */
    public static void keyFromHere(UUID keyId) {
        if (keyId != null) {
            MDC.put(KEY_ID, keyId.toString());
        }
    }

    /** Removes the job and key ids (the end of a request on its thread). */
    public static void clear() {
        MDC.remove(JOB_ID);
        MDC.remove(KEY_ID);
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
