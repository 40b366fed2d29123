package dev.transcriber.common.web;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The error dispatch ({@code /error}) in the OpenAI shape, for whatever the container or Spring answers on its own
 * (an unknown path, a method not allowed, a failure outside any controller, such as a filter finding the database
 * down: 503 with {@code Retry-After}); never a stack trace or class name.
 */
@RestController
public class OpenAiErrorController implements ErrorController {

    @RequestMapping("${server.error.path:${error.path:/error}}")
    ResponseEntity<byte[]> error(HttpServletRequest request) {
        if (request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof Throwable failure) {
            var unavailable = Unavailable.dependencyDown(failure);
            if (unavailable.isPresent()) {
                return unavailable.get();
            }
        }
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer value && value >= 400 ? value : 500;
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .body(OpenAiErrorBody.forStatus(status));
    }
}
