package dev.transcriber.common.events;

/**
 * A job was accepted and its audio stored: a worker should transcribe it. {@code audioKey}, when set, names the stored
 * audio of a sync request within one upstream call's bytes, which a worker opens while it claims the job (null
 * otherwise, and in an event from an older sender).
 */
public record JobSubmitted(JobId jobId, String audioKey) {

    /** A job whose audio is not opened ahead of its claim. */
    public JobSubmitted(JobId jobId) {
        this(jobId, null);
    }
}
