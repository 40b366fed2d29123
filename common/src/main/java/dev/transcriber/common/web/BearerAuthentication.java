package dev.transcriber.common.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Who the {@code Authorization: Bearer} credential names: the operator (the {@link AdminToken}, role
 * {@value #ADMIN}), the metrics scraper (the {@link MetricsToken}, role {@value #METRICS}) or, where the service has
 * callers, the holder of an API key or the api's internal calls ({@link Callers}, role {@value #CALLER} or
 * {@value #INTERNAL}). It only says who; which routes each may use is the service's security chain's decision. A
 * credential that names nobody is remembered on the request ({@link #REJECTED}) so the refusal can say so. A
 * credential that could not be checked because too many are being checked at once ({@link ServerBusy}) gets 503
 * {@code server_busy} with {@code Retry-After}.
 */
public final class BearerAuthentication extends OncePerRequestFilter {

    public static final String ADMIN = "ADMIN";
    public static final String CALLER = "CALLER";
    /** An api instance handing a job to a worker ({@link InternalToken}). */
    public static final String INTERNAL = "INTERNAL";
    /** A metrics scraper ({@link MetricsToken}). */
    public static final String METRICS = "METRICS";

    /** A request attribute set when a bearer credential was given and named nobody. */
    public static final String REJECTED = BearerAuthentication.class.getName() + ".REJECTED";

    private static final String BEARER = "Bearer ";

    /** Finds the caller an API key names. */
    @FunctionalInterface
    public interface Callers {
        /** The caller's authentication (role {@value #CALLER}), or empty when the key is unknown or revoked. */
        Optional<Authentication> authenticate(String secret, HttpServletRequest request);
    }

    private final AdminToken admin;
    private final MetricsToken metrics;
    private final Callers callers;

    /** {@code callers} is null on a service with none but the operator and the metrics scraper. */
    public BearerAuthentication(AdminToken admin, MetricsToken metrics, Callers callers) {
        this.admin = admin;
        this.metrics = metrics;
        this.callers = callers;
    }

    /** The api's internal calls, named by {@code token}, with role {@value #INTERNAL}: the worker's callers. */
    public static Callers internal(InternalToken token) {
        return (secret, request) -> token.matches(secret)
                ? Optional.of(UsernamePasswordAuthenticationToken.authenticated(
                        "internal", null, List.of(new SimpleGrantedAuthority("ROLE_" + INTERNAL))))
                : Optional.empty();
    }

    /** An authenticated caller with role {@value #CALLER} and {@code principal}. */
    public static Authentication caller(Object principal) {
        return UsernamePasswordAuthenticationToken.authenticated(
                principal, null, List.of(new SimpleGrantedAuthority("ROLE_" + CALLER)));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String secret = header.substring(BEARER.length()).trim();
            Optional<Authentication> who;
            try {
                who = secret.isEmpty() ? Optional.empty() : authenticate(secret, request);
            } catch (ServerBusy busy) {
                // an expected refusal, answered here: thrown on, the container would log each one as an error
                response.setHeader(HttpHeaders.RETRY_AFTER, String.valueOf(Unavailable.RETRY_AFTER_SECONDS));
                OpenAiErrorBody.write(
                        response, 503, OpenAiErrorBody.of(busy.getMessage(), "server_error", "server_busy", null));
                return;
            }
            if (who.isPresent()) {
                SecurityContext context =
                        SecurityContextHolder.getContextHolderStrategy().createEmptyContext();
                context.setAuthentication(who.get());
                SecurityContextHolder.getContextHolderStrategy().setContext(context);
            } else {
                request.setAttribute(REJECTED, Boolean.TRUE);
            }
        }
        chain.doFilter(request, response);
    }

    private Optional<Authentication> authenticate(String secret, HttpServletRequest request) {
        if (admin.matches(secret)) {
            return Optional.of(UsernamePasswordAuthenticationToken.authenticated(
                    "admin", null, List.of(new SimpleGrantedAuthority("ROLE_" + ADMIN))));
        }
        if (metrics.matches(secret)) {
            return Optional.of(UsernamePasswordAuthenticationToken.authenticated(
                    "metrics", null, List.of(new SimpleGrantedAuthority("ROLE_" + METRICS))));
        }
        return callers == null ? Optional.empty() : callers.authenticate(secret, request);
    }
}
