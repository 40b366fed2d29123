package dev.transcriber.common.events;

/**
 * A job reached a terminal state. A notice, sent as a PostgreSQL notification by the ending transaction and never
 * recorded (see {@code EndNotice}): the api also finds ended jobs in the database. The api instance holding the job's
 * request answers from the job row, or from {@code answer} when the notice carries one, with no read of the row.
 *
 * @param answer what a held request needs that only the job's end knows, for a sync call's job that succeeded with a
 *     transcript short enough for a notification (the rest, its caller asked for); null otherwise
 */
public record JobFinished(JobId jobId, String state, Answer answer) {

    /** A succeeded job's transcript as stored (JSON), and the account (or accounts) that transcribed it. */
    public record Answer(String transcriptJson, String upstreamAccount) {}
}
