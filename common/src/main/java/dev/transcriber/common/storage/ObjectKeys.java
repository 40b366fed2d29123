package dev.transcriber.common.storage;

import dev.transcriber.common.events.JobId;

/** The layout of the bucket. */
public final class ObjectKeys {

    private ObjectKeys() {}

    /** The audio exactly as the caller sent it. */
    public static String sourceAudio(JobId jobId) {
        return "jobs/" + jobId + "/source";
    }
}
