package dev.transcriber.api.errors;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code {"error": {"message", "type", "code", "param"}}}, as OpenAI writes it. */
public record OpenAiError(Body error) {

    public static OpenAiError of(ApiException e) {
        return new OpenAiError(new Body(e.getMessage(), e.type(), e.code(), e.param()));
    }

    public record Body(
            String message,
            String type,
            String code,
            @JsonInclude(JsonInclude.Include.ALWAYS) String param) {}
}
