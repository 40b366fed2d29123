package dev.transcriber.common.storage;

import dev.transcriber.common.events.JobId;

/** The layout of the bucket. */
public final class ObjectKeys {

    private ObjectKeys() {}

    /** The audio exactly as the caller sent it. */
    public static String sourceAudio(JobId jobId) {
        return "jobs/" + jobId + "/source";
    }

    /** Piece {@code index} of a long job's audio, cut by the worker. */
    public static String piece(JobId jobId, int index) {
        return "jobs/" + jobId + "/pieces/" + index + ".wav";
    }
}
