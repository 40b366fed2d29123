package dev.transcriber.worker.diarization;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.transcript.Transcript;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpeakerLabelsTest {

    private static Transcript heard(Transcript.Segment... segments) {
        return new Transcript("", null, null, null, List.of(segments), null);
    }

    @Test
    void lettersGoOnPastZ() {
        assertThat(SpeakerLabels.letter(0)).isEqualTo("A");
        assertThat(SpeakerLabels.letter(25)).isEqualTo("Z");
        assertThat(SpeakerLabels.letter(26)).isEqualTo("AA");
        assertThat(SpeakerLabels.letter(27)).isEqualTo("AB");
    }

    @Test
    void theFirstPieceFixesTheLettersInTheOrderVoicesAreHeard() {
        SpeakerLabels.Relabelled first = SpeakerLabels.relabel(
                heard(
                        new Transcript.Segment(0, 0, 3, "x", "B"),
                        new Transcript.Segment(1, 3, 6, "y", "A"),
                        new Transcript.Segment(2, 6, 8, "z", "B")),
                Map.of(),
                List.of(),
                0,
                Map.of("B", new SpeakerLabels.Clip("clip-b", 3), "A", new SpeakerLabels.Clip("clip-a", 3)));

        assertThat(first.transcript().segments())
                .extracting(Transcript.Segment::speaker)
                .containsExactly("A", "B", "A");
        assertThat(first.newSpeakers()).extracting(Speaker::clipKey).containsExactly("clip-b", "clip-a");
        assertThat(first.spoken()).isEqualTo(Map.of("A", 5.0, "B", 3.0));
    }

    @Test
    void aLabelThatCannotBeARowsKeyGetsALetter() {
        // a NUL, or kilobytes, in an upstream's label failed the insert of the job's speakers, and the piece ran
        // again (paid again) until its job failed
        SpeakerLabels.Relabelled first = SpeakerLabels.relabel(
                heard(
                        new Transcript.Segment(0, 0, 3, "x", "S\u0000"),
                        new Transcript.Segment(1, 3, 6, "y", "v".repeat(3000)),
                        new Transcript.Segment(2, 6, 8, "z", "Anna")),
                Map.of(),
                List.of(),
                0,
                Map.of());

        assertThat(first.transcript().segments())
                .extracting(Transcript.Segment::speaker)
                .containsExactly("A", "B", "Anna");
        assertThat(first.newSpeakers()).extracting(Speaker::label).containsExactly("A", "B", "Anna");
    }

    @Test
    void laterPiecesKeepTheLabelsOfRecognisedVoicesAndLetterNewOnes() {
        List<Speaker> known =
                List.of(new Speaker("A", 0, 0, "clip-a", 3.0, 20), new Speaker("B", 1, 0, "clip-b", 3.0, 10));
        // the upstream letters a voice it does not know "A", which is not our A
        SpeakerLabels.Relabelled next = SpeakerLabels.relabel(
                heard(
                        new Transcript.Segment(0, 0, 3, "x", "speaker_B"),
                        new Transcript.Segment(1, 3, 6, "y", "A"),
                        new Transcript.Segment(2, 6, 8, "z", "speaker_A")),
                Map.of("speaker_A", "A", "speaker_B", "B"),
                known,
                1,
                Map.of());

        assertThat(next.transcript().segments())
                .extracting(Transcript.Segment::speaker)
                .containsExactly("B", "C", "A");
        assertThat(next.newSpeakers()).singleElement().satisfies(s -> {
            assertThat(s.label()).isEqualTo("C");
            assertThat(s.clipKey()).isNull();
            assertThat(s.firstPiece()).isEqualTo(1);
        });
    }

    @Test
    void atMostFourVoicesAreSentThoseWhoSpokeLongestFirst() {
        List<Speaker> speakers = List.of(
                new Speaker("A", 0, 0, "a", 3.0, 5),
                new Speaker("B", 1, 0, "b", 3.0, 50),
                new Speaker("C", 2, 0, null, null, 90),
                new Speaker("D", 3, 1, "d", 3.0, 5),
                new Speaker("E", 4, 1, "e", 3.0, 7),
                new Speaker("F", 5, 1, "f", 3.0, 1));

        assertThat(SpeakerLabels.references(speakers))
                .extracting(Speaker::label)
                .containsExactly("B", "E", "A", "D");
    }

    @Test
    void aClipPrefersTheLongestCleanSegmentAndTakesAtMostTenSeconds() {
        List<Transcript.Segment> segments = List.of(
                new Transcript.Segment(0, 0, 6, "cut off at the start", "A"),
                new Transcript.Segment(1, 7, 10, "clean", "A"),
                new Transcript.Segment(2, 11, 15, "overlapped", "A"),
                new Transcript.Segment(3, 14, 16, "other", "B"),
                new Transcript.Segment(4, 17, 40, "long", "C"),
                new Transcript.Segment(5, 41, 41.5, "short", "D"));

        assertThat(ReferenceClips.choose("A", segments, 45))
                .containsExactly(new ReferenceClips.Range(112_000, 160_000));
        assertThat(ReferenceClips.choose("C", segments, 45))
                .singleElement()
                .satisfies(r -> assertThat(r.seconds()).isEqualTo(10.0));
        assertThat(ReferenceClips.choose("D", segments, 45)).isEmpty();
    }
}
