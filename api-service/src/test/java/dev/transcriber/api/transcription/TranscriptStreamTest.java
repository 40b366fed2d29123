package dev.transcriber.api.transcription;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.transcript.Transcript;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stream that starts after the work is done still sends the text segment by segment. */
class TranscriptStreamTest {

    @Test
    void theFinalTextIsCutAfterEachSegmentAndTheCutsAddUpToIt() {
        Transcript transcript = new Transcript(
                "One two. Three four. Five.",
                "en",
                6.0,
                null,
                List.of(
                        new Transcript.Segment(0, 0, 2, " One two."),
                        new Transcript.Segment(1, 2, 4, "Three four."),
                        new Transcript.Segment(2, 4, 6, " Five.")),
                List.of());

        assertThat(TranscriptStream.segmentEnds(transcript))
                .containsExactly("One two.", "One two. Three four.", "One two. Three four. Five.");
    }

    @Test
    void segmentsThatDoNotMatchTheTextGiveNoCuts() {
        Transcript transcript = new Transcript(
                "Merged differently.",
                "en",
                2.0,
                null,
                List.of(new Transcript.Segment(0, 0, 2, "Something else")),
                List.of());

        assertThat(TranscriptStream.segmentEnds(transcript)).isEmpty();
        assertThat(TranscriptStream.segmentEnds(new Transcript("No segments.", "en", 1.0, null)))
                .isEmpty();
    }

    @Test
    void aTextWhoseSegmentsCannotBeFoundIsStillSentInPartsThatAddUpToIt() {
        String text = "one two three four five six seven";

        assertThat(TranscriptStream.wordEnds(text, 3)).containsExactly("one two three", "one two three four five six");
        assertThat(TranscriptStream.wordEnds("one  two", 1)).containsExactly("one");
        assertThat(TranscriptStream.wordEnds(null, 3)).isEmpty();
    }
}
