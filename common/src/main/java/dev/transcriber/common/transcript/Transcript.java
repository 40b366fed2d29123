package dev.transcriber.common.transcript;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The canonical result of a job, stored once; every response format is rendered from it. Segments and words are
 * present when the engine gave timestamps (seconds from the start of the audio).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Transcript(
        String text, String language, Double duration, Usage usage, List<Segment> segments, List<Word> words) {

    public Transcript(String text, String language, Double duration, Usage usage) {
        this(text, language, duration, usage, null, null);
    }

    public record Segment(int id, double start, double end, String text) {}

    public record Word(String word, double start, double end) {}
}
