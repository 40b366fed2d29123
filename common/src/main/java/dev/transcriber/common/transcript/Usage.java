package dev.transcriber.common.transcript;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a transcription cost, in one of the two shapes OpenAI uses: {@code type=tokens} (gpt-4o models) or
 * {@code type=duration} (whisper-1).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Usage(
        String type,
        @JsonProperty("input_tokens") Long inputTokens,
        @JsonProperty("output_tokens") Long outputTokens,
        @JsonProperty("total_tokens") Long totalTokens,
        @JsonProperty("input_token_details") InputTokenDetails inputTokenDetails,
        Double seconds) {

    public static Usage tokens(long audioTokens, long textTokens, long outputTokens) {
        long input = audioTokens + textTokens;
        return new Usage(
                "tokens",
                input,
                outputTokens,
                input + outputTokens,
                new InputTokenDetails(audioTokens, textTokens),
                null);
    }

    public static Usage duration(double seconds) {
        return new Usage("duration", null, null, null, null, seconds);
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record InputTokenDetails(
            @JsonProperty("audio_tokens") Long audioTokens,
            @JsonProperty("text_tokens") Long textTokens) {}
}
