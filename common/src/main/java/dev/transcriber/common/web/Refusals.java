package dev.transcriber.common.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Every refusal of the security chain, in the OpenAI error shape: no or a wrong credential (401), the admin API (or
 * the internal route, or the metrics route) closed because no token that opens it is set (403), and requests whose
 * path the firewall refuses (400: encoded or doubled slashes, {@code ;} parameters, {@code ..}, encoded dots), which
 * could otherwise name a route by another spelling.
 */
public final class Refusals implements AuthenticationEntryPoint, AccessDeniedHandler, RequestRejectedHandler {

    static final String NO_KEY = "You didn't provide an API key. You need to provide your API key in an"
            + " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

    private final AdminToken admin;
    private final RequestMatcher adminRoutes;
    private final InternalToken internal;
    private final RequestMatcher internalRoutes;
    private final MetricsToken metrics;
    private final RequestMatcher metricsRoutes;

    /** {@code adminRoutes}: the routes that take the admin token; every other guarded route takes an API key. */
    public Refusals(AdminToken admin, RequestMatcher adminRoutes) {
        this(admin, adminRoutes, null, request -> false);
    }

    /**
     * As {@link #Refusals(AdminToken, RequestMatcher)}, with {@code internalRoutes}, which take the internal token
     * (checked before {@code adminRoutes}).
     */
    public Refusals(
            AdminToken admin, RequestMatcher adminRoutes, InternalToken internal, RequestMatcher internalRoutes) {
        this(admin, adminRoutes, internal, internalRoutes, null, request -> false);
    }

    private Refusals(
            AdminToken admin,
            RequestMatcher adminRoutes,
            InternalToken internal,
            RequestMatcher internalRoutes,
            MetricsToken metrics,
            RequestMatcher metricsRoutes) {
        this.admin = admin;
        this.adminRoutes = adminRoutes;
        this.internal = internal;
        this.internalRoutes = internalRoutes;
        this.metrics = metrics;
        this.metricsRoutes = metricsRoutes;
    }

    /**
     * These refusals, and {@code metricsRoutes}, which take the metrics token or the admin token (checked before the
     * admin routes, which may contain them).
     */
    public Refusals withMetrics(MetricsToken metrics, RequestMatcher metricsRoutes) {
        return new Refusals(admin, adminRoutes, internal, internalRoutes, metrics, metricsRoutes);
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        refuse(request, response);
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        refuse(request, response);
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, RequestRejectedException e)
            throws IOException {
        OpenAiErrorBody.write(
                response,
                400,
                OpenAiErrorBody.of(
                        "The request's path is not allowed: encoded or doubled slashes, encoded dots, ';' parameters"
                                + " and '..' segments are refused.",
                        "invalid_request_error",
                        "invalid_path",
                        null));
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (internalRoutes.matches(request)) {
            boolean open = internal != null && internal.configured();
            OpenAiErrorBody.write(
                    response,
                    open ? 401 : 403,
                    OpenAiErrorBody.of(
                            open
                                    ? "A valid internal token is required (Authorization: Bearer <internal token>)."
                                    : "The internal route is closed: set TRANSCRIBER_INTERNAL_TOKEN to open it.",
                            "invalid_request_error",
                            "internal_unauthorized",
                            null));
        } else if (metricsRoutes.matches(request)) {
            boolean open = admin.configured() || (metrics != null && metrics.configured());
            OpenAiErrorBody.write(
                    response,
                    open ? 401 : 403,
                    OpenAiErrorBody.of(
                            open
                                    ? (metrics != null && metrics.configured()
                                            ? "A valid metrics or admin token is required (Authorization: Bearer"
                                                    + " <token>)."
                                            : "A valid admin token is required (Authorization: Bearer <admin"
                                                    + " token>).")
                                    : "The metrics route is closed: set TRANSCRIBER_METRICS_TOKEN (or"
                                            + " TRANSCRIBER_ADMIN_TOKEN) to open it.",
                            "invalid_request_error",
                            "metrics_unauthorized",
                            null));
        } else if (adminRoutes.matches(request)) {
            if (!admin.configured()) {
                OpenAiErrorBody.write(
                        response,
                        403,
                        OpenAiErrorBody.of(
                                "The admin API is closed: set TRANSCRIBER_ADMIN_TOKEN to open it.",
                                "invalid_request_error",
                                "admin_unauthorized",
                                null));
            } else {
                OpenAiErrorBody.write(
                        response,
                        401,
                        OpenAiErrorBody.of(
                                "A valid admin token is required (Authorization: Bearer <admin token>).",
                                "invalid_request_error",
                                "admin_unauthorized",
                                null));
            }
        } else {
            var who = SecurityContextHolder.getContextHolderStrategy()
                    .getContext()
                    .getAuthentication();
            boolean named = request.getAttribute(BearerAuthentication.REJECTED) != null
                    || (who != null && !(who instanceof AnonymousAuthenticationToken));
            OpenAiErrorBody.write(
                    response,
                    401,
                    OpenAiErrorBody.of(
                            named ? "Incorrect API key provided." : NO_KEY,
                            "invalid_request_error",
                            "invalid_api_key",
                            null));
        }
    }
}
