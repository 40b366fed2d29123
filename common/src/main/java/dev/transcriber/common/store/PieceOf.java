package dev.transcriber.common.store;

import dev.transcriber.common.transcript.PieceSpan;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.util.UUID;

/**
 * What makes a job a piece of another's audio: the job, the piece's place, and its span of the job's audio. A job of
 * its own has none (null).
 *
 * @param parentId the job whose audio this piece is part of
 * @param index the piece's place, from 0
 * @param offset where its first sample lies in the parent's audio, in seconds
 * @param ownsFrom the start of the span whose words this piece contributes to the whole, in seconds
 * @param ownsUntil the end of that span
 */
@Embeddable
public record PieceOf(
        @Column(name = "parent_id") UUID parentId,
        @Column(name = "piece_index") Integer index,
        @Column(name = "piece_offset") Double offset,
        @Column(name = "piece_owns_from") Double ownsFrom,
        @Column(name = "piece_owns_until") Double ownsUntil) {

    static PieceOf of(UUID parentId, int index, PieceSpan span) {
        return new PieceOf(parentId, index, span.offset(), span.ownsFrom(), span.ownsUntil());
    }

    /** The span, with the piece's length. */
    PieceSpan span(double duration) {
        return new PieceSpan(offset, duration, ownsFrom, ownsUntil);
    }
}
