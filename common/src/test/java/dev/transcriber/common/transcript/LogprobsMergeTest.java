package dev.transcriber.common.transcript;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogprobsMergeTest {

    @Test
    void tokensArePlacedInTheWordTheirFirstLetterIsIn() {
        assertThat(Logprobs.wordIndices("Hey, see you", tokens("Hey", ",", " see", " you")))
                .containsExactly(0, 0, 1, 2);
        assertThat(Logprobs.wordIndices("Hey there", tokens("Hey", " ", "there")))
                .containsExactly(0, 0, 1);
        assertThat(Logprobs.wordIndices("Hey there", tokens("Hi"))).isNull();
        assertThat(Logprobs.tokensWithin("Hey, see you", tokens("Hey", ",", " see", " you"), 2))
                .isEqualTo(3);
    }

    @Test
    void piecesCutAtASilenceKeepAllTheirTokensInOrder() {
        Transcript merged = TranscriptMerger.merge(
                List.of(
                        piece(new PieceSpan(0, 10, 0, 10), "one two", "one", " two"),
                        piece(new PieceSpan(10, 10, 10, 20), "three", "three")),
                20);

        assertThat(merged.text()).isEqualTo("one two three");
        assertThat(merged.logprobs()).extracting(Logprob::token).containsExactly("one", " two", "three");
    }

    @Test
    void overlappingPiecesKeepTheSharedRunsTokensOnceAndDropACutOffWord() {
        // the first piece ends on a word cut off by the edge ("fo"), the second starts inside the overlap
        Transcript merged = TranscriptMerger.merge(
                List.of(
                        piece(
                                new PieceSpan(0, 10, 0, 9),
                                "alpha beta gamma delta fo",
                                "alpha",
                                " beta",
                                " gamma",
                                " delta",
                                " fo"),
                        piece(
                                new PieceSpan(8, 10, 9, 18),
                                "gamma delta four five",
                                "gamma",
                                " delta",
                                " four",
                                " five")),
                18);

        assertThat(merged.text()).isEqualTo("alpha beta gamma delta four five");
        assertThat(merged.logprobs())
                .extracting(Logprob::token)
                .containsExactly("alpha", " beta", " gamma", " delta", " four", " five");
        // the shared run keeps the first piece's tokens
        assertThat(merged.logprobs().get(2).logprob()).isEqualTo(-1.0);
    }

    @Test
    void noPieceWithLogprobsMeansNone() {
        Transcript merged = TranscriptMerger.merge(
                List.of(new TranscriptMerger.Piece(new PieceSpan(0, 5, 0, 5), new Transcript("a", null, null, null))),
                5);

        assertThat(merged.logprobs()).isNull();
    }

    private static TranscriptMerger.Piece piece(PieceSpan span, String text, String... tokens) {
        double logprob = span.offset() == 0 ? -1.0 : -2.0;
        List<Logprob> list =
                Arrays.stream(tokens).map(t -> new Logprob(t, logprob, null)).toList();
        return new TranscriptMerger.Piece(span, new Transcript(text, null, null, null, null, null, list));
    }

    private static List<Logprob> tokens(String... tokens) {
        return Arrays.stream(tokens).map(t -> new Logprob(t, -0.1, null)).toList();
    }
}
