package dev.transcriber.common.transcript;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The canonical result of a job, stored once; every response format is rendered from it. Segments and words are
 * present when the engine gave timestamps (seconds from the start of the audio); without them, only {@code json}
 * and {@code text} can be rendered. {@code logprobs} are the upstream's token log-probabilities, in order, when the job
 * asked for them ({@code include[]=logprobs}); null otherwise.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Transcript(
        String text,
        String language,
        Double duration,
        Usage usage,
        List<Segment> segments,
        List<Word> words,
        List<Logprob> logprobs) {

    public Transcript(
            String text, String language, Double duration, Usage usage, List<Segment> segments, List<Word> words) {
        this(text, language, duration, usage, segments, words, null);
    }

    public Transcript(String text, String language, Double duration, Usage usage) {
        this(text, language, duration, usage, null, null);
    }

    /** The same transcript with another usage block (none, for a transcript reused without an upstream call). */
    public Transcript withUsage(Usage replacement) {
        return new Transcript(text, language, duration, replacement, segments, words, logprobs);
    }

    /** The same transcript with other token log-probabilities (null: none). */
    public Transcript withLogprobs(List<Logprob> replacement) {
        return new Transcript(text, language, duration, usage, segments, words, replacement);
    }

    public boolean hasTimestamps() {
        return segments != null;
    }

    /** True when the segments say who speaks (a diarized transcript). */
    public boolean hasSpeakers() {
        return segments != null && !segments.isEmpty() && segments.stream().allMatch(s -> s.speaker() != null);
    }

    /**
     * A stretch of speech. The upstream's own per-segment figures (tokens, log-probabilities, ...) are kept when it
     * gave them and left out when it did not; they are never made up. {@code speaker} is set for diarized
     * transcripts only: the label of who speaks (the same label means the same voice across the whole audio).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Segment(
            int id,
            Integer seek,
            double start,
            double end,
            String text,
            List<Integer> tokens,
            Double temperature,
            @JsonProperty("avg_logprob") Double avgLogprob,
            @JsonProperty("compression_ratio") Double compressionRatio,
            @JsonProperty("no_speech_prob") Double noSpeechProb,
            String speaker) {

        public Segment(int id, double start, double end, String text) {
            this(id, null, start, end, text, null, null, null, null, null, null);
        }

        /** A diarized segment: who spoke, when. */
        public Segment(int id, double start, double end, String text, String speaker) {
            this(id, null, start, end, text, null, null, null, null, null, speaker);
        }

        public Segment(
                int id,
                Integer seek,
                double start,
                double end,
                String text,
                List<Integer> tokens,
                Double temperature,
                Double avgLogprob,
                Double compressionRatio,
                Double noSpeechProb) {
            this(id, seek, start, end, text, tokens, temperature, avgLogprob, compressionRatio, noSpeechProb, null);
        }

        /** The same segment said by {@code label}. */
        public Segment withSpeaker(String label) {
            return new Segment(
                    id, seek, start, end, text, tokens, temperature, avgLogprob, compressionRatio, noSpeechProb, label);
        }

        /** This segment renumbered and moved {@code offset} seconds later (a piece's place in the whole audio). */
        public Segment shifted(int newId, double offset) {
            Integer movedSeek = seek == null ? null : seek + (int) Math.round(offset * 100);
            return new Segment(
                    newId,
                    movedSeek,
                    start + offset,
                    end + offset,
                    text,
                    tokens,
                    temperature,
                    avgLogprob,
                    compressionRatio,
                    noSpeechProb,
                    speaker);
        }

        public double midpoint() {
            return (start + end) / 2;
        }
    }

    public record Word(String word, double start, double end) {

        public Word shifted(double offset) {
            return new Word(word, start + offset, end + offset);
        }

        public double midpoint() {
            return (start + end) / 2;
        }
    }
}
