package dev.transcriber.common.transcript;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Diarized pieces joined by timestamp: a turn over a cut is neither split nor doubled. */
class DiarizedMergeTest {

    private static Transcript heard(Transcript.Segment... segments) {
        return new Transcript("", null, null, null, List.of(segments), null);
    }

    private static Transcript.Segment seg(double start, double end, String text, String speaker) {
        return new Transcript.Segment(0, start, end, text, speaker);
    }

    @Test
    void aTurnThatRunsOverAnOverlappingCutIsJoinedOnce() {
        // piece 1: [0, 16.5); piece 2: [14.5, 30), shared at 15.5
        TranscriptMerger.Piece first = new TranscriptMerger.Piece(
                new PieceSpan(0, 16.5, 0, 15.5), heard(seg(0.5, 10, "a b c", "A"), seg(10.2, 16.5, "d e f g", "B")));
        TranscriptMerger.Piece second = new TranscriptMerger.Piece(
                new PieceSpan(14.5, 15.5, 15.5, 30), heard(seg(0, 5.5, "e f g h", "B"), seg(5.7, 12, "i j", "A")));

        Transcript merged = TranscriptMerger.merge(List.of(first, second), 30);

        assertThat(merged.segments()).extracting(Transcript.Segment::text).containsExactly("a b c", "d e f g h", "i j");
        assertThat(merged.segments()).extracting(Transcript.Segment::speaker).containsExactly("A", "B", "A");
        assertThat(merged.segments().get(1).start()).isEqualTo(10.2);
        assertThat(merged.segments().get(1).end()).isEqualTo(20.0);
        assertThat(merged.segments()).extracting(Transcript.Segment::id).containsExactly(0, 1, 2);
        assertThat(merged.text()).isEqualTo("a b c d e f g h i j");
    }

    @Test
    void aTurnEndingInTheOverlapIsKeptFromThePieceThatHeardItWhole() {
        TranscriptMerger.Piece first = new TranscriptMerger.Piece(
                new PieceSpan(0, 16.5, 0, 15.5), heard(seg(0.5, 14.9, "a b c d", "A"), seg(15.1, 16.5, "e", "B")));
        // the second piece hears the end of A's turn (a fragment) and B's turn whole
        TranscriptMerger.Piece second = new TranscriptMerger.Piece(
                new PieceSpan(14.5, 15.5, 15.5, 30), heard(seg(0, 0.4, "d", "A"), seg(0.6, 3, "e f", "B")));

        Transcript merged = TranscriptMerger.merge(List.of(first, second), 30);

        assertThat(merged.segments()).extracting(Transcript.Segment::text).containsExactly("a b c d", "e f");
        assertThat(merged.segments().get(1).start()).isEqualTo(15.1);
    }

    @Test
    void piecesCutAtASilenceAreKeptAsTheyAre() {
        TranscriptMerger.Piece first =
                new TranscriptMerger.Piece(new PieceSpan(0, 10, 0, 10), heard(seg(0.5, 9, "a b", "A")));
        TranscriptMerger.Piece second =
                new TranscriptMerger.Piece(new PieceSpan(10, 10, 10, 20), heard(seg(0.5, 9, "c d", "A")));

        Transcript merged = TranscriptMerger.merge(List.of(first, second), 20);

        assertThat(merged.segments()).extracting(Transcript.Segment::start).containsExactly(0.5, 10.5);
        assertThat(TranscriptMerger.settledSegments(List.of(first), 2)).hasSize(1);
    }

    @Test
    void aStreamWaitsForTheNextPieceBeforeSendingATurnInTheOverlap() {
        TranscriptMerger.Piece first = new TranscriptMerger.Piece(
                new PieceSpan(0, 16.5, 0, 15.5), heard(seg(0.5, 10, "a b c", "A"), seg(10.2, 16.5, "d e f g", "B")));

        assertThat(TranscriptMerger.settledSegments(List.of(first), 2))
                .extracting(Transcript.Segment::text)
                .containsExactly("a b c");
        assertThat(TranscriptMerger.settledSegments(List.of(first), 1)).hasSize(2);
    }
}
