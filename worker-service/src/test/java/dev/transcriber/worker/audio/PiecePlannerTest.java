package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.worker.audio.PiecePlanner.PlannedPiece;
import dev.transcriber.worker.audio.PiecePlanner.Silence;
import java.util.List;
import org.junit.jupiter.api.Test;

class PiecePlannerTest {

    @Test
    void cutsInTheMiddleOfTheLastSilenceThatFits() {
        List<PlannedPiece> pieces = PiecePlanner.plan(
                250, List.of(new Silence(40, 50), new Silence(80, 90), new Silence(170, 180)), 100, 10, 6);

        assertThat(pieces)
                .containsExactly(
                        new PlannedPiece(0, 0, 85, 0, 85),
                        new PlannedPiece(1, 85, 175, 85, 175),
                        new PlannedPiece(2, 175, 250, 175, 250));
    }

    @Test
    void withoutSilenceWindowsOverlapAndShareTheOverlapAtItsMiddle() {
        List<PlannedPiece> pieces = PiecePlanner.plan(250, List.of(), 100, 10, 10);

        assertThat(pieces)
                .containsExactly(
                        new PlannedPiece(0, 0, 100, 0, 95),
                        new PlannedPiece(1, 90, 190, 95, 185),
                        new PlannedPiece(2, 180, 250, 185, 250));
    }

    @Test
    void piecesCoverTheWholeAudioAndStayUnderTheLimit() {
        List<PlannedPiece> pieces =
                PiecePlanner.plan(10_000, List.of(new Silence(3000, 3100), new Silence(9000, 9010)), 1000, 100, 50);

        assertThat(pieces.getFirst().ownsFrom()).isZero();
        assertThat(pieces.getLast().ownsUntil()).isEqualTo(10_000);
        for (int i = 1; i < pieces.size(); i++) {
            assertThat(pieces.get(i).ownsFrom()).isEqualTo(pieces.get(i - 1).ownsUntil());
        }
        assertThat(pieces).allSatisfy(p -> assertThat(p.length()).isLessThanOrEqualTo(1000));
    }

    @Test
    void shortAudioIsOnePiece() {
        assertThat(PiecePlanner.plan(80, List.of(), 100, 10, 10)).containsExactly(new PlannedPiece(0, 0, 80, 0, 80));
    }
}
