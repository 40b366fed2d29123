package dev.transcriber.api.bodies;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.ErrorResponses;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Locale;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What every request body must be before anyone reads it: not compressed (the server decodes no
 * {@code Content-Encoding}, so a compressed body would be read as something it is not). Runs after authentication
 * (order 0 is after the api-key filter and after Spring Security's chain at -100).
 */
@Component
@Order(0)
class RequestBodyFilter extends OncePerRequestFilter {

    private final ErrorResponses errors;

    RequestBodyFilter(ErrorResponses errors) {
        this.errors = errors;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        for (String encoding : Collections.list(request.getHeaders("Content-Encoding"))) {
            String value = encoding.trim();
            if (!value.isEmpty() && !value.toLowerCase(Locale.ROOT).equals("identity")) {
                errors.write(response, unsupportedEncoding(value));
                return;
            }
        }
        chain.doFilter(request, response);
    }

    private static ApiException unsupportedEncoding(String value) {
        String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
        return new ApiException(
                HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                "invalid_request_error",
                "unsupported_content_encoding",
                null,
                "Unsupported Content-Encoding '" + shown + "': send the request body uncompressed.");
    }
}
