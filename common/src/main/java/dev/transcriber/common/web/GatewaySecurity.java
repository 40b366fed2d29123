package dev.transcriber.common.web;

import jakarta.servlet.DispatcherType;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.access.intercept.AuthorizationFilter;

/**
 * What both services' security chains share: bearer credentials only (no sessions, cookies, CSRF, forms or basic
 * auth), the OpenAI-shaped refusals, the error dispatch answered in the same shape, and Tomcat's own error pages
 * (for requests it refuses before any filter runs, such as {@code %2F} in a path) as JSON instead of HTML. Each
 * service declares its routes in its own chain, starting from {@link #base}.
 */
@Configuration(proxyBeanMethods = false)
public class GatewaySecurity {

    @Bean
    AdminToken adminToken(@Value("${transcriber.admin.token:}") String token) {
        return new AdminToken(token);
    }

    /** The workers' internal route's token; the same as the admin token is refused at start-up (each opens its own). */
    @Bean
    InternalToken internalToken(
            @Value("${transcriber.internal.token:}") String token, @Value("${transcriber.admin.token:}") String admin) {
        requireOwn("transcriber.internal.token (TRANSCRIBER_INTERNAL_TOKEN)", token, "the admin token", admin);
        return new InternalToken(token);
    }

    /**
     * The metrics scraper's token; the same as the admin or the internal token is refused at start-up (each opens
     * its own routes, and a scraper's configuration is the likeliest of the three to leak).
     */
    @Bean
    MetricsToken metricsToken(
            @Value("${transcriber.metrics.token:}") String token,
            @Value("${transcriber.admin.token:}") String admin,
            @Value("${transcriber.internal.token:}") String internal) {
        requireOwn("transcriber.metrics.token (TRANSCRIBER_METRICS_TOKEN)", token, "the admin token", admin);
        requireOwn("transcriber.metrics.token (TRANSCRIBER_METRICS_TOKEN)", token, "the internal token", internal);
        return new MetricsToken(token);
    }

    /** Refuses the start when {@code token} (set) is {@code other}, another credential's value. */
    private static void requireOwn(String setting, String token, String otherName, String other) {
        if (token != null && !token.isBlank() && token.trim().equals(other == null ? null : other.trim())) {
            throw new IllegalStateException(
                    setting + " is " + otherName + ": use a token of its own, e.g. `openssl rand -hex 32`");
        }
    }

    /**
     * Spring Security observes nothing: no span or timer for its filter chain, its authentication or its authorization
     * (the request's own observation covers them). Turning its observations off by name alone still wraps each filter
     * of every request in an observation that is then thrown away; this keeps the chain unwrapped.
     */
    @Bean
    static SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /** No users: every credential is a bearer token (and Spring Boot then makes up no password). */
    @Bean
    UserDetailsService noUsers() {
        return new InMemoryUserDetailsManager();
    }

    @Bean
    OpenAiErrorController openAiErrorController() {
        return new OpenAiErrorController();
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> jsonTomcatErrors() {
        return factory -> factory.addContextCustomizers(JsonErrorReportValve::install);
    }

    /**
     * Liveness and readiness under the actuator's base path ({@code management.endpoints.web.base-path}): the only
     * actuator routes open to anyone.
     */
    public static String[] healthRoutes(String actuatorBase) {
        String base = actuatorBase(actuatorBase);
        return new String[] {base + "/health", base + "/health/**"};
    }

    /**
     * The Prometheus scrape route under the base path: the admin token or the metrics token ({@link MetricsToken})
     * opens it.
     */
    public static String prometheusRoute(String actuatorBase) {
        return actuatorBase(actuatorBase) + "/prometheus";
    }

    /** Every actuator route under the base path. */
    public static String actuatorRoutes(String actuatorBase) {
        return actuatorBase(actuatorBase) + "/**";
    }

    private static String actuatorBase(String configured) {
        return configured.endsWith("/") ? configured.substring(0, configured.length() - 1) : configured;
    }

    /**
     * The settings every chain starts from. Async and error dispatches are let through: the request they belong to
     * was authorized when it arrived.
     */
    public static HttpSecurity base(HttpSecurity http, BearerAuthentication bearer, Refusals refusals) {
        return http.csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .sessionManagement(sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .exceptionHandling(
                        refused -> refused.authenticationEntryPoint(refusals).accessDeniedHandler(refusals))
                .addFilterBefore(bearer, AuthorizationFilter.class)
                .authorizeHttpRequests(
                        routes -> routes.dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR)
                                .permitAll());
    }
}
