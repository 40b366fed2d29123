package dev.transcriber.api.errors;

import dev.transcriber.common.web.Unavailable;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpStatus;
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
        if (error.status() == HttpStatus.SERVICE_UNAVAILABLE) {
            response.header("Retry-After", String.valueOf(Unavailable.RETRY_AFTER_SECONDS));
        }
        return response.contentType(MediaType.APPLICATION_JSON).body(OpenAiError.of(error));
    }

    /** Writes {@code error}, with {@code Retry-After} for a 503 (the state of this instance, not the request). */
    public void write(HttpServletResponse response, ApiException error) throws IOException {
        response.setStatus(error.status().value());
        if (error.status() == HttpStatus.SERVICE_UNAVAILABLE && response.getHeader("Retry-After") == null) {
            response.setHeader("Retry-After", String.valueOf(Unavailable.RETRY_AFTER_SECONDS));
        }
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.getOutputStream().write(json.writeValueAsBytes(OpenAiError.of(error)));
    }
}
