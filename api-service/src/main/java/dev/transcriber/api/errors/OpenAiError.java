package dev.transcriber.api.errors;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code {"error": {"message", "type", "code", "param"}}}, as OpenAI writes it; rate-limit errors add
 * {@code resets_at} (seed 000).
 */
public record OpenAiError(Body error) {

    public static OpenAiError of(ApiException e) {
        return new OpenAiError(new Body(
                e.getMessage(),
                e.type(),
                e.code(),
                e.param(),
                e.resetsAt() == null ? null : e.resetsAt().toString()));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Body(
            String message,
            String type,
            String code,
            @JsonInclude(JsonInclude.Include.ALWAYS) String param,
            @JsonProperty("resets_at") String resetsAt) {}
}
