package dev.transcriber.api.keys;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.ErrorResponses;
import dev.transcriber.common.store.ApiKey;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Every {@code /v1/} request needs {@code Authorization: Bearer <key>} with an active key. Its requests are counted
 * (across instances) against the key's requests-per-minute limit, or {@code transcriber.api.default-requests-per-minute}
 * for a key without one, and every answer carries the {@code X-RateLimit-*} headers.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class ApiKeyFilter extends OncePerRequestFilter {

    private final RateLimits rateLimits;
    private final Clock clock;
    private final int defaultPerMinute;

    private static final String BEARER = "Bearer ";

    private final ApiKeys keys;
    private final ErrorResponses errors;

    ApiKeyFilter(ApiKeys keys, ErrorResponses errors, RateLimits rateLimits, Clock clock, ApiProperties properties) {
        this.defaultPerMinute = properties.defaultRequestsPerMinute();
        this.rateLimits = rateLimits;
        this.clock = clock;
        this.keys = keys;
        this.errors = errors;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/v1/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            errors.write(
                    response,
                    ApiException.unauthorized("You didn't provide an API key. You need to provide your API key in an"
                            + " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."));
            return;
        }
        String secret = header.substring(BEARER.length()).trim();
        var key = secret.isEmpty() ? Optional.<ApiKey>empty() : keys.authenticate(secret);
        if (key.isEmpty()) {
            errors.write(response, ApiException.unauthorized("Incorrect API key provided."));
            return;
        }
        Integer perMinute = key.get().requestsPerMinute() != null
                ? key.get().requestsPerMinute()
                : (defaultPerMinute > 0 ? defaultPerMinute : null);
        if (perMinute != null) {
            RateLimits.Window window = rateLimits.count(key.get().id(), perMinute);
            response.setHeader("X-RateLimit-Limit-Requests", String.valueOf(window.limit()));
            response.setHeader("X-RateLimit-Remaining-Requests", String.valueOf(window.remaining()));
            response.setHeader("X-RateLimit-Reset-Requests", window.resetHeader(clock.instant()));
            if (window.exceeded()) {
                errors.write(response, RateLimits.exceeded(window));
                return;
            }
        }
        request.setAttribute(
                Caller.ATTRIBUTE,
                new Caller(
                        key.get().id(),
                        key.get().name(),
                        key.get().allowedModels(),
                        key.get().audioSecondsPerDay(),
                        key.get().maxConcurrentJobs(),
                        key.get().queuesOverCap()));
        chain.doFilter(request, response);
    }
}
