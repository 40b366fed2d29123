package dev.transcriber.common.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAI error body, {@code {"error":{"message","type","code","param"}}}, written where no controller is
 * involved: the security chain's refusals, Tomcat's own error pages and the error dispatch.
 */
public final class OpenAiErrorBody {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OpenAiErrorBody() {}

    public static byte[] of(String message, String type, String code, String param) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("code", code);
        error.put("param", param);
        return JSON.writeValueAsBytes(Map.of("error", error));
    }

    /** The message, type and code for a status that nothing more specific explains. */
    public static byte[] forStatus(int status) {
        return switch (status) {
            case 400 -> of("The request could not be understood.", "invalid_request_error", "bad_request", null);
            case 401 -> of("Authentication is required.", "invalid_request_error", "unauthorized", null);
            case 403 -> of("This request is not allowed.", "invalid_request_error", "forbidden", null);
            case 404 -> of("There is nothing at this path.", "invalid_request_error", "not_found", null);
            case 405 ->
                of("This method is not allowed on this path.", "invalid_request_error", "method_not_allowed", null);
            case 408 -> of("The request took too long to arrive.", "invalid_request_error", "request_timeout", null);
            case 413 -> of("The request is too large.", "invalid_request_error", "request_too_large", null);
            case 414 -> of("The request's URL is too long.", "invalid_request_error", "uri_too_long", null);
            case 415 ->
                of("This content type is not supported here.", "invalid_request_error", "unsupported_media_type", null);
            case 431 -> of("The request's headers are too large.", "invalid_request_error", "headers_too_large", null);
            case 503 -> of("The service is unavailable; try again shortly.", "server_error", "unavailable", null);
            default ->
                status >= 500
                        ? of(
                                "The server had an error while processing your request.",
                                "server_error",
                                "server_error",
                                null)
                        : of("The request was refused.", "invalid_request_error", "http_" + status, null);
        };
    }

    public static void write(HttpServletResponse response, int status, byte[] body) throws IOException {
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }
}
