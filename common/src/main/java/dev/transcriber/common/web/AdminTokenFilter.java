package dev.transcriber.common.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Registered by each service: {@code /admin/} needs {@code Authorization: Bearer <transcriber.admin.token>}; with no token set it is
 * closed.
 */
public class AdminTokenFilter extends OncePerRequestFilter {

    private final byte[] token;

    public AdminTokenFilter(String token) {
        this.token = token.isBlank() ? null : ("Bearer " + token.trim()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/admin/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (token == null) {
            refuse(response, 403, "The admin API is closed: set TRANSCRIBER_ADMIN_TOKEN to open it.");
        } else if (header == null || !MessageDigest.isEqual(token, header.trim().getBytes(StandardCharsets.UTF_8))) {
            refuse(response, 401, "A valid admin token is required (Authorization: Bearer <admin token>).");
        } else {
            chain.doFilter(request, response);
        }
    }

    private static void refuse(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.getWriter()
                .write("{\"error\":{\"message\":\"" + message
                        + "\",\"type\":\"invalid_request_error\",\"code\":\"admin_unauthorized\",\"param\":null}}");
    }
}
