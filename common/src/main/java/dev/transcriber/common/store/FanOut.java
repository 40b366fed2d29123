package dev.transcriber.common.store;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

/**
 * A job cut into pieces: how many (null until the cutting ends, and for a job transcribed whole), and how many have
 * finished (pieces may finish before the cutting does).
 */
@Embeddable
public record FanOut(
        @Column(name = "pieces_total") Integer total,
        @Column(name = "pieces_done", nullable = false) int done) {

    /** Not cut (or cutting has started over). */
    public static final FanOut NONE = new FanOut(null, 0);

    /** Cut: every piece is queued. */
    public boolean isCut() {
        return total != null;
    }

    public boolean isComplete() {
        return total != null && done == total;
    }
}
