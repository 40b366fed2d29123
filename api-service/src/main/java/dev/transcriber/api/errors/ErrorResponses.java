package dev.transcriber.api.errors;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Writes an OpenAI error body where no controller is involved (servlet filters). */
@Component
public class ErrorResponses {

    private final JsonMapper json;

    ErrorResponses(JsonMapper json) {
        this.json = json;
    }

    /** The error as a response entity, for controllers that answer errors as values. */
    public static ResponseEntity<OpenAiError> entity(ApiException error) {
        ResponseEntity.BodyBuilder response = ResponseEntity.status(error.status());
        if (error.retryAfterSeconds() != null) {
            response.header("Retry-After", String.valueOf(error.retryAfterSeconds()));
        }
        return response.contentType(MediaType.APPLICATION_JSON).body(OpenAiError.of(error));
    }

    /** Writes {@code error}, with the {@code Retry-After} it asks for, if any. */
    public void write(HttpServletResponse response, ApiException error) throws IOException {
        response.setStatus(error.status().value());
        if (error.retryAfterSeconds() != null) {
            response.setHeader("Retry-After", String.valueOf(error.retryAfterSeconds()));
        }
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.getOutputStream().write(json.writeValueAsBytes(OpenAiError.of(error)));
    }
}
