package dev.transcriber.common.events;

/**
 * A job reached a terminal state. A notice, sent once the ending transaction commits and never recorded: the api also
 * finds ended jobs in the database. The api instance holding the job's request answers from the job row, or from
 * {@code answer} when the notice carries one, with no read of the row.
 *
 * @param answer what a held request needs that only the job's end knows, for a sync call's job that succeeded with a
 *     transcript of at most {@link #CARRIED_TRANSCRIPT_CHARS} (the rest, its caller asked for); null otherwise, and
 *     from a sender older than this field
 */
public record JobFinished(JobId jobId, String state, Answer answer) {

    /**
     * The longest transcript (as stored, JSON, in characters) a notice carries. Every api instance reads every notice,
     * so a longer one is left to the row's read by the one instance that holds its request.
     */
    public static final int CARRIED_TRANSCRIPT_CHARS = 32 * 1024;

    /** A succeeded job's transcript as stored (JSON), and the account (or accounts) that transcribed it. */
    public record Answer(String transcriptJson, String upstreamAccount) {}
}
