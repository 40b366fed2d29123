package dev.transcriber.api.keys;

import dev.transcriber.api.errors.ErrorResponses;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A caller's requests are counted (across instances) against its key's requests-per-minute limit, or
 * {@code transcriber.api.default-requests-per-minute} for a key without one; every answer carries the
 * {@code X-RateLimit-*} headers, and one over the limit gets seed 000's 429. Runs after authorization, so only
 * requests a key may make are counted.
 */
final class RateLimitFilter extends OncePerRequestFilter {

    private final RateLimits rateLimits;
    private final ErrorResponses errors;
    private final Clock clock;
    private final int defaultPerMinute;

    RateLimitFilter(RateLimits rateLimits, ErrorResponses errors, Clock clock, int defaultPerMinute) {
        this.rateLimits = rateLimits;
        this.errors = errors;
        this.clock = clock;
        this.defaultPerMinute = defaultPerMinute;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getAttribute(Caller.ATTRIBUTE) instanceof Caller caller) {
            Integer perMinute = caller.requestsPerMinute() != null
                    ? caller.requestsPerMinute()
                    : (defaultPerMinute > 0 ? defaultPerMinute : null);
            if (perMinute != null) {
                RateLimits.Window window = rateLimits.count(caller.keyId(), perMinute);
                response.setHeader("X-RateLimit-Limit-Requests", String.valueOf(window.limit()));
                response.setHeader("X-RateLimit-Remaining-Requests", String.valueOf(window.remaining()));
                response.setHeader("X-RateLimit-Reset-Requests", window.resetHeader(clock.instant()));
                if (window.exceeded()) {
                    errors.write(response, RateLimits.exceeded(window));
                    return;
                }
            }
        }
        chain.doFilter(request, response);
    }
}
