package dev.transcriber.api.bodies;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.ErrorResponses;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Locale;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What every request must be before anyone reads it. Its query string carries no NUL character ({@code %00}: no
 * parameter of this API takes one, and PostgreSQL stores none; 400). Its body is not compressed: the server decodes no
 * {@code Content-Encoding}, so a compressed body would be read as something it is not (415). Within its size limit,
 * unless it is multipart (the audio reader bounds those by {@code max-upload-size} and its own field limits):
 * {@code transcriber.api.max-batch-body-size} for {@code POST /v1/transcription_batches} (an item list),
 * {@code max-json-body-size} for any other; a declared {@code Content-Length} over it is refused at once, and a body
 * sent without one is counted as it is read and cut off at the limit (413), so it is never held whole.
 *
 * <p>It runs first, before authentication and before any filter that could read a body, and it matches on the
 * servlet path (decoded, normalized, without {@code ;} parameters): only the exact batch path gets the larger limit.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
class RequestBodyFilter extends OncePerRequestFilter {

    static final String BATCHES_PATH = "/v1/transcription_batches";

    private final ErrorResponses errors;
    private final long maxJsonBytes;
    private final long maxBatchBytes;

    RequestBodyFilter(ErrorResponses errors, ApiProperties properties) {
        this.errors = errors;
        this.maxJsonBytes = properties.maxJsonBodySize().toBytes();
        this.maxBatchBytes = properties.maxBatchBodySize().toBytes();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String query = request.getQueryString();
        if (query != null && query.contains("%00")) {
            errors.write(
                    response,
                    ApiException.invalidRequest(
                            "Invalid query string: parameters must not contain NUL characters (%00).", null));
            return;
        }
        for (String encoding : Collections.list(request.getHeaders("Content-Encoding"))) {
            String value = encoding.trim();
            if (!value.isEmpty() && !value.toLowerCase(Locale.ROOT).equals("identity")) {
                errors.write(response, unsupportedEncoding(value));
                return;
            }
        }
        String contentType = request.getContentType();
        if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            chain.doFilter(request, response);
            return;
        }
        long limit = BATCHES_PATH.equals(path(request)) ? maxBatchBytes : maxJsonBytes;
        if (request.getContentLengthLong() > limit) {
            errors.write(response, ApiException.requestTooLarge(limit));
            return;
        }
        chain.doFilter(new CappedBodyRequest(request, limit), response);
    }

    private static String path(HttpServletRequest request) {
        String info = request.getPathInfo();
        return info == null ? request.getServletPath() : request.getServletPath() + info;
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
