package dev.transcriber.common.store;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The lifecycle of a transcription job and the only changes it allows.
 *
 * <pre>
 *                 ┌──────── (released by the admission scheduler)
 *   HELD ─────────┤
 *    ▲  │         ▼
 *    │  │      QUEUED ──▶ RUNNING ──▶ SUCCEEDED
 *    │  │       │  ▲ ▲      │  │          ▲
 *    │  │       │  │ └──────┤  └─▶ AWAITING_PIECES (cut, its pieces queued: the last one to finish ends it)
 *    │  ▼       ▼  │ (lease lost, handed back)
 *    │ CANCELLED   └── FAILED (retried by its owner: queued, or held again when its key's cap queues)
 *    └────────────────────┘
 * </pre>
 *
 * Every state here is a state of its own in the code. The row keeps the encoding the fleet's running releases read
 * ({@link #stored()}): a held job is stored as {@code QUEUED} with {@code held}, a job awaiting its pieces as
 * {@code RUNNING} with pieces and no lease (a rolling update runs old and new releases against one schema).
 */
public enum JobState {
    /** Accepted and durable, not yet on the queue: the admission scheduler releases it. */
    HELD,
    /** On its lane's queue (or about to be: its event is in the outbox). */
    QUEUED,
    /** A worker holds it under a lease. */
    RUNNING,
    /** Cut into pieces, all queued; nobody holds it. The last piece to finish ends it. */
    AWAITING_PIECES,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    private static final Map<JobState, Set<JobState>> ALLOWED = Map.of(
            HELD, EnumSet.of(QUEUED, FAILED, CANCELLED),
            QUEUED, EnumSet.of(RUNNING, FAILED, CANCELLED),
            RUNNING, EnumSet.of(AWAITING_PIECES, SUCCEEDED, FAILED, CANCELLED, QUEUED),
            AWAITING_PIECES, EnumSet.of(SUCCEEDED, FAILED, CANCELLED),
            SUCCEEDED, EnumSet.noneOf(JobState.class),
            FAILED, EnumSet.of(QUEUED, HELD),
            CANCELLED, EnumSet.noneOf(JobState.class));

    public boolean canMoveTo(JobState next) {
        return ALLOWED.get(this).contains(next);
    }

    /** The states this one may move to. */
    public Set<JobState> next() {
        return EnumSet.copyOf(ALLOWED.get(this));
    }

    /** The job has ended (a failed one may still be retried by its owner). */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** Accepted, not started: held or queued. */
    public boolean isWaiting() {
        return this == HELD || this == QUEUED;
    }

    /** Started and not ended: a worker runs it, or its pieces run. */
    public boolean isUnderway() {
        return this == RUNNING || this == AWAITING_PIECES;
    }

    /** The value of the row's {@code state} column for a job in this state. */
    public JobState stored() {
        return switch (this) {
            case HELD -> QUEUED;
            case AWAITING_PIECES -> RUNNING;
            default -> this;
        };
    }

    /** The job's {@code status} as callers see it: the stored state, lower case (a held job is queued to them). */
    public String wireName() {
        return stored().name().toLowerCase(Locale.ROOT);
    }

    /** The stored value as an SQL literal, for statements that name a state: {@code 'QUEUED'}. */
    public String sql() {
        return "'" + stored().name() + "'";
    }

    /** The stored values of the states a job has not ended in, as an SQL list: {@code state in (...)}. */
    public static String sqlUnfinished() {
        return sql(HELD, QUEUED, RUNNING, AWAITING_PIECES);
    }

    /** The stored values of {@code states} as an SQL list, for {@code state in (...)}: {@code 'QUEUED', 'RUNNING'}. */
    public static String sql(JobState... states) {
        return Arrays.stream(states)
                .map(JobState::stored)
                .distinct()
                .map(state -> state.sql())
                .collect(Collectors.joining(", "));
    }
}
