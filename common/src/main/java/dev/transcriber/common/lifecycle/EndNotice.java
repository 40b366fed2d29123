package dev.transcriber.common.lifecycle;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A {@link JobFinished} as it travels: the payload of a notification on {@link Channel#ENDS}, sent by the transaction
 * that ended the job, with the trace it continues. Written as the job's id, the trace ({@code -} for none) and the
 * notice's JSON, separated by single spaces, so that an api instance that does not hold the job passes it over by
 * its first 36 characters, without parsing it.
 *
 * @param traceparent the W3C {@code traceparent} of the code that ended the job; null for none
 */
public record EndNotice(JobFinished finished, String traceparent) {

    private static final int ID_LENGTH = 36;
    private static final String NO_TRACE = "-";

    /**
     * The payload; {@link #fits} says whether PostgreSQL takes it. A trace that is not one word (no W3C
     * {@code traceparent} has a space) is left out rather than fail the job's end.
     */
    public String encode(EventCodec codec) {
        boolean traced = traceparent != null && !traceparent.isBlank() && traceparent.indexOf(' ') < 0;
        return finished.jobId() + " " + (traced ? traceparent : NO_TRACE) + " " + codec.write(finished);
    }

    /** Whether {@code payload} is short enough for a notification. */
    public static boolean fits(String payload) {
        return payload.length() <= Wakeups.MAX_PAYLOAD_BYTES
                && payload.getBytes(StandardCharsets.UTF_8).length <= Wakeups.MAX_PAYLOAD_BYTES;
    }

    /** The job {@code payload} is about, read from its start; null when it names none. */
    public static JobId jobId(String payload) {
        if (payload == null || payload.length() <= ID_LENGTH || payload.charAt(ID_LENGTH) != ' ') {
            return null;
        }
        try {
            return new JobId(UUID.fromString(payload.substring(0, ID_LENGTH)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The notice {@code payload} carries ({@link IllegalArgumentException} when it is not one). */
    public static EndNotice decode(String payload, EventCodec codec) {
        JobId id = jobId(payload);
        int traceEnd = id == null ? -1 : payload.indexOf(' ', ID_LENGTH + 1);
        if (traceEnd < 0) {
            throw new IllegalArgumentException("not an end notice");
        }
        String trace = payload.substring(ID_LENGTH + 1, traceEnd);
        JobFinished finished = codec.read(payload.substring(traceEnd + 1), JobFinished.class);
        if (!id.equals(finished.jobId())) {
            throw new IllegalArgumentException("an end notice about " + finished.jobId() + " under " + id);
        }
        return new EndNotice(finished, NO_TRACE.equals(trace) ? null : trace);
    }
}
