package dev.transcriber.api.completion;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.ErrorResponses;
import dev.transcriber.common.web.Unavailable;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * An api instance that begins to shut down takes no new request: from the moment its context closes, each one gets a
 * 503 with {@code Retry-After} and {@code Connection: close} ({@code shutting_down}; the official SDKs retry it, and
 * the retry reaches another instance), while the requests it already holds are answered ({@link Drain}). The web
 * server itself stops taking connections only at its own shutdown phase, after the broker's listeners have stopped,
 * and a listener's stop waits for its outstanding empty fetch (up to {@code fetch.max.wait.ms}): without this gate
 * the instance kept taking new work for that long. The actuator's paths stay open when it shares this port (the
 * probes and the last scrapes of a closing instance); on a management port of its own it is not behind this filter.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class ClosingGate extends OncePerRequestFilter implements ApplicationListener<ContextClosedEvent> {

    private static final String ACTUATOR = "/actuator";

    private final ApplicationContext context;
    private final ErrorResponses errors;
    private volatile boolean closing;

    ClosingGate(ApplicationContext context, ErrorResponses errors) {
        this.context = context;
        this.errors = errors;
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        if (event.getApplicationContext() == context) {
            closing = true;
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!closing) {
            chain.doFilter(request, response);
            return;
        }
        response.setHeader(HttpHeaders.RETRY_AFTER, String.valueOf(Unavailable.RETRY_AFTER_SECONDS));
        response.setHeader(HttpHeaders.CONNECTION, "close");
        errors.write(response, ApiException.closing());
    }

    /** The actuator stays open (probes, the last scrapes), when it shares the api's port. */
    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return path.equals(ACTUATOR) || path.startsWith(ACTUATOR + "/");
    }
}
