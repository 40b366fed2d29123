package dev.transcriber.common.store;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle of a batch and the only changes it allows.
 *
 * <pre>
 *   EXPANDING ──▶ IN_PROGRESS ──▶ COMPLETED        (every item ended)
 *      │  │           │  └──▶ CANCELLING ──▶ CANCELLED  (cancelled while items ran: they finish first)
 *      │  └───────────┴─────────────────────▶ CANCELLED  (cancelled with nothing running)
 *      └──▶ FAILED                                       (the source could not be expanded: nothing runs)
 * </pre>
 */
public enum BatchState {
    EXPANDING,
    IN_PROGRESS,
    CANCELLING,
    COMPLETED,
    CANCELLED,
    FAILED;

    private static final Map<BatchState, Set<BatchState>> ALLOWED = Map.of(
            EXPANDING, EnumSet.of(IN_PROGRESS, FAILED, CANCELLED),
            IN_PROGRESS, EnumSet.of(COMPLETED, CANCELLING, CANCELLED),
            CANCELLING, EnumSet.of(CANCELLED),
            COMPLETED, EnumSet.noneOf(BatchState.class),
            CANCELLED, EnumSet.noneOf(BatchState.class),
            FAILED, EnumSet.noneOf(BatchState.class));

    public boolean canMoveTo(BatchState next) {
        return ALLOWED.get(this).contains(next);
    }

    public boolean isTerminal() {
        return this == COMPLETED || this == CANCELLED || this == FAILED;
    }
}
