package dev.transcriber.api.formats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.transcript.*;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class TranscriptRendererTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TranscriptRenderer RENDERER = new TranscriptRenderer(JSON);
    private static final Transcript TRANSCRIPT = new Transcript(
            "Hello there. General Kenobi.",
            "english",
            3725.5,
            Usage.duration(3726),
            List.of(
                    new Transcript.Segment(0, 0.0, 1.5, " Hello there."),
                    new Transcript.Segment(1, 3723.25, 3725.5, " General Kenobi.")),
            List.of(
                    new Transcript.Word("Hello", 0.0, 0.6),
                    new Transcript.Word("there", 0.7, 1.5),
                    new Transcript.Word("General", 3723.25, 3724.0),
                    new Transcript.Word("Kenobi", 3724.1, 3725.5)));

    @Test
    void srtNumbersCuesWithCommaMilliseconds() {
        RenderedTranscript srt = RENDERER.render(TRANSCRIPT, ResponseFormat.SRT, Set.of());

        assertThat(srt.body())
                .isEqualTo("1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n"
                        + "2\n01:02:03,250 --> 01:02:05,500\nGeneral Kenobi.\n\n");
    }

    @Test
    void vttHasAHeaderAndDotMilliseconds() {
        RenderedTranscript vtt = RENDERER.render(TRANSCRIPT, ResponseFormat.VTT, Set.of());

        assertThat(vtt.contentType()).startsWith("text/vtt");
        assertThat(vtt.body())
                .isEqualTo("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n"
                        + "01:02:03.250 --> 01:02:05.500\nGeneral Kenobi.\n\n");
    }

    @Test
    void verboseJsonCarriesTheAskedGranularities() {
        JsonNode segmentsOnly = JSON.readTree(
                RENDERER.render(TRANSCRIPT, ResponseFormat.VERBOSE_JSON, EnumSet.of(TimestampGranularity.SEGMENT))
                        .body());
        JsonNode both = JSON.readTree(RENDERER.render(
                        TRANSCRIPT,
                        ResponseFormat.VERBOSE_JSON,
                        EnumSet.of(TimestampGranularity.SEGMENT, TimestampGranularity.WORD))
                .body());

        assertThat(segmentsOnly.path("task").asString()).isEqualTo("transcribe");
        assertThat(segmentsOnly.path("language").asString()).isEqualTo("english");
        assertThat(segmentsOnly.path("duration").asDouble()).isEqualTo(3725.5);
        assertThat(segmentsOnly.path("segments").size()).isEqualTo(2);
        assertThat(segmentsOnly.has("words")).isFalse();
        assertThat(segmentsOnly.path("usage").path("seconds").asDouble()).isEqualTo(3726);
        assertThat(both.path("words").size()).isEqualTo(4);
        assertThat(both.path("words").get(3).path("end").asDouble()).isEqualTo(3725.5);
        assertThat(both.path("segments").get(1).has("avg_logprob")).isFalse(); // not given, not invented
    }

    @Test
    void jsonCarriesLogprobsAndUsageOnlyWhenTheTranscriptHasThem() {
        Transcript plain = new Transcript("Hi.", "english", 1.0, null);
        Transcript full = new Transcript("Hi.", "english", 1.0, Usage.duration(1))
                .withLogprobs(List.of(new Logprob("Hi", -0.5, null), new Logprob(".", null, List.of(46))));

        assertThat(RENDERER.render(plain, ResponseFormat.JSON, Set.of()).body()).isEqualTo("{\"text\":\"Hi.\"}");
        assertThat(RENDERER.render(full, ResponseFormat.JSON, Set.of()).body())
                .isEqualTo("{\"text\":\"Hi.\",\"logprobs\":[{\"token\":\"Hi\",\"logprob\":-0.5},{\"token\":\".\","
                        + "\"bytes\":[46]}],\"usage\":{\"type\":\"duration\",\"seconds\":1.0}}");
    }

    @Test
    void verboseJsonKeepsAnUnknownLanguageAndDurationAsNull() {
        Transcript unknown =
                new Transcript("Hi.", null, null, null, List.of(new Transcript.Segment(0, 0, 1, "Hi.")), null);

        assertThat(RENDERER.render(unknown, ResponseFormat.VERBOSE_JSON, EnumSet.of(TimestampGranularity.WORD))
                        .body())
                .isEqualTo(
                        "{\"task\":\"transcribe\",\"language\":null,\"duration\":null,\"text\":\"Hi.\",\"words\":[]}");
    }

    @Test
    void diarizedJsonLabelsEachSegmentAndNamesItSegN() {
        Transcript diarized = new Transcript(
                "Hi. Hello.",
                null,
                2.0,
                null,
                List.of(new Transcript.Segment(0, 0, 1, "Hi.", "B"), new Transcript.Segment(1, 1, 2, "Hello.")),
                null);

        assertThat(RENDERER.render(diarized, ResponseFormat.DIARIZED_JSON, Set.of())
                        .body())
                .isEqualTo("{\"task\":\"transcribe\",\"duration\":2.0,\"text\":\"Hi. Hello.\",\"segments\":["
                        + "{\"type\":\"transcript.text.segment\",\"id\":\"seg_0\",\"start\":0.0,\"end\":1.0,\"text\":\"Hi.\","
                        + "\"speaker\":\"B\"},"
                        + "{\"type\":\"transcript.text.segment\",\"id\":\"seg_1\",\"start\":1.0,\"end\":2.0,\"text\":\"Hello.\","
                        + "\"speaker\":\"A\"}]}");
    }

    @Test
    void aTranslationHasNoUsageAndNoWords() {
        Transcript english = new Transcript(
                "Hi.", "french", 1.0, Usage.duration(1), List.of(new Transcript.Segment(0, 0, 1, "Hi.")), null);

        assertThat(RENDERER.render(english, ResponseFormat.JSON, Set.of(), JobTask.TRANSLATE)
                        .body())
                .isEqualTo("{\"text\":\"Hi.\"}");
        assertThat(RENDERER.render(
                                english,
                                ResponseFormat.VERBOSE_JSON,
                                EnumSet.of(TimestampGranularity.WORD),
                                JobTask.TRANSLATE)
                        .body())
                .isEqualTo("{\"task\":\"translate\",\"language\":\"english\",\"duration\":1.0,\"text\":\"Hi.\","
                        + "\"segments\":[{\"id\":0,\"start\":0.0,\"end\":1.0,\"text\":\"Hi.\"}]}");
    }
}
