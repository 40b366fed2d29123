package dev.transcriber.common.store;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle of a transcription job and the only changes it allows.
 *
 * <pre>
 *   QUEUED ──▶ RUNNING ──▶ SUCCEEDED
 *     │  ▲ ▲      │
 *     │  │ └──────┤ (lease expired: back to the queue)
 *     ▼  │        ▼
 *   CANCELLED └── FAILED (retried by its owner: back to the queue)
 * </pre>
 */
public enum JobState {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    private static final Map<JobState, Set<JobState>> ALLOWED = Map.of(
            QUEUED, EnumSet.of(RUNNING, FAILED, CANCELLED),
            RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, QUEUED),
            SUCCEEDED, EnumSet.noneOf(JobState.class),
            FAILED, EnumSet.of(QUEUED),
            CANCELLED, EnumSet.noneOf(JobState.class));

    public boolean canMoveTo(JobState next) {
        return ALLOWED.get(this).contains(next);
    }

    /** The job has ended (a failed one may still be retried by its owner). */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
