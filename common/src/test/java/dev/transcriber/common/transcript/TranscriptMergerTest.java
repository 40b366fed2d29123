package dev.transcriber.common.transcript;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TranscriptMergerTest {

    @Test
    void piecesCutAtSilencesAreMovedByTheirExactOffsets() {
        var first = new TranscriptMerger.Piece(
                new PieceSpan(0, 10.25, 0, 10.25),
                timed(List.of(new Transcript.Word("one", 1.0, 1.5), new Transcript.Word("two", 9.0, 9.5))));
        var second = new TranscriptMerger.Piece(
                new PieceSpan(10.25, 5.0, 10.25, 15.25),
                timed(List.of(new Transcript.Word("three", 0.5, 1.0), new Transcript.Word("four", 4.0, 4.5))));

        Transcript merged = TranscriptMerger.merge(List.of(first, second), 15.25);

        assertThat(merged.text()).isEqualTo("one two three four");
        assertThat(merged.words()).extracting(Transcript.Word::start).containsExactly(1.0, 9.0, 10.75, 14.25);
        assertThat(merged.segments()).extracting(Transcript.Segment::id).containsExactly(0, 1, 2, 3);
        assertThat(merged.segments().getLast().end()).isEqualTo(14.75);
        assertThat(merged.duration()).isEqualTo(15.25);
        assertThat(merged.usage()).isEqualTo(Usage.duration(15.25));
    }

    @Test
    void overlappingPiecesKeepEachWordOnceByItsMidpoint() {
        // Cut without silence at 10 s with 2 s of overlap: the first piece owns [0, 9), the second [9, 18).
        var first = new TranscriptMerger.Piece(
                new PieceSpan(0, 10, 0, 9),
                timed(List.of(
                        new Transcript.Word("a", 7.0, 7.6),
                        new Transcript.Word("b", 8.6, 9.2), // midpoint 8.9: the first piece's
                        new Transcript.Word("c", 9.3, 9.9)))); // midpoint 9.6: the second piece's
        var second = new TranscriptMerger.Piece(
                new PieceSpan(8, 10, 9, 18),
                timed(List.of(
                        new Transcript.Word("b", 0.6, 1.2),
                        new Transcript.Word("c", 1.3, 1.9),
                        new Transcript.Word("d", 3.0, 3.4))));

        Transcript merged = TranscriptMerger.merge(List.of(first, second), 18);

        assertThat(merged.text()).isEqualTo("a b c d");
        assertThat(merged.words()).extracting(Transcript.Word::word).containsExactly("a", "b", "c", "d");
        assertThat(merged.words().get(2).start()).isEqualTo(9.3);
    }

    @Test
    void textOnlyPiecesAreJoinedWhereTheyAgree() {
        assertThat(TranscriptMerger.align(
                        "We walked down to the river and sat by the wa",
                        "the river, and sat by the water until night."))
                .isEqualTo("We walked down to the river and sat by the water until night.");
        assertThat(TranscriptMerger.align("a b c d e f a b c d e f", "e f a b"))
                .as("repeated phrases: the run that ends the first text")
                .isEqualTo("a b c d e f a b c d e f a b");
        assertThat(TranscriptMerger.align("Nothing in common here.", "Completely different words."))
                .isEqualTo("Nothing in common here. Completely different words.");
    }

    @Test
    void tokenUsageIsSummedByKind() {
        Usage sum = TranscriptMerger.sum(List.of(Usage.tokens(100, 5, 20), Usage.tokens(50, 0, 10)));

        assertThat(sum).isEqualTo(Usage.tokens(150, 5, 30));
        assertThat(sum.totalTokens()).isEqualTo(185);
    }

    @Test
    void settledTextHoldsBackAnUntimedPieceThatOverlapsTheNext() {
        var first = new TranscriptMerger.Piece(
                new PieceSpan(0, 10, 0, 9), new Transcript("one two three", null, null, null));
        var second = new TranscriptMerger.Piece(
                new PieceSpan(8, 10, 9, 18), new Transcript("two three four", null, null, null));

        assertThat(TranscriptMerger.settledText(List.of(first), 2)).isEmpty();
        assertThat(TranscriptMerger.settledText(List.of(first), null)).isEmpty(); // still being cut
        assertThat(TranscriptMerger.settledText(List.of(first, second), 2)).isEqualTo("one two three four");
    }

    private static Transcript timed(List<Transcript.Word> words) {
        List<Transcript.Segment> segments = words.stream()
                .map(w -> new Transcript.Segment(0, w.start(), w.end(), " " + w.word()))
                .toList();
        double seconds = words.getLast().end() > 5 ? 10.25 : 5.0; // each piece's billed length
        return new Transcript(
                String.join(" ", words.stream().map(Transcript.Word::word).toList()),
                "english",
                null,
                Usage.duration(seconds),
                segments,
                words);
    }
}
