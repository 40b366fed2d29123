package dev.transcriber.worker;

import static dev.transcriber.common.web.BearerAuthentication.ADMIN;
import static dev.transcriber.common.web.BearerAuthentication.INTERNAL;
import static dev.transcriber.common.web.BearerAuthentication.METRICS;

import dev.transcriber.common.web.AdminToken;
import dev.transcriber.common.web.BearerAuthentication;
import dev.transcriber.common.web.GatewaySecurity;
import dev.transcriber.common.web.InternalToken;
import dev.transcriber.common.web.MetricsToken;
import dev.transcriber.common.web.Refusals;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.AnyRequestMatcher;

/**
 * Who may reach which route of the worker, in one place: liveness and readiness ({@code /actuator/health/**}) are
 * public; the internal route by which an api instance hands a job over ({@value #INTERNAL_ROUTES}) takes the internal
 * token only; the Prometheus scrape ({@code /actuator/prometheus}) takes the metrics token or the admin token;
 * everything else ({@code /admin/accounts}, the other actuator endpoints) takes the admin token only. The worker
 * has no callers, so an API key is refused here like any other wrong credential.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@Import(GatewaySecurity.class)
public class WorkerSecurity {

    static final String INTERNAL_ROUTES = "/internal/**";

    private final String[] publicRoutes;
    private final String metricsRoute;

    /** {@code actuatorBase}: where the actuator's endpoints are ({@code management.endpoints.web.base-path}). */
    WorkerSecurity(@Value("${management.endpoints.web.base-path:/actuator}") String actuatorBase) {
        this.publicRoutes = GatewaySecurity.healthRoutes(actuatorBase);
        this.metricsRoute = GatewaySecurity.prometheusRoute(actuatorBase);
    }

    @Bean
    Refusals refusals(AdminToken admin, InternalToken internal, MetricsToken metrics) {
        PathPatternRequestMatcher.Builder paths = PathPatternRequestMatcher.withDefaults();
        return new Refusals(admin, AnyRequestMatcher.INSTANCE, internal, paths.matcher(INTERNAL_ROUTES))
                .withMetrics(metrics, paths.matcher(metricsRoute));
    }

    @Bean
    SecurityFilterChain workerRoutes(
            HttpSecurity http, AdminToken admin, InternalToken internal, MetricsToken metrics, Refusals refusals)
            throws Exception {
        return GatewaySecurity.base(
                        http,
                        new BearerAuthentication(admin, metrics, BearerAuthentication.internal(internal)),
                        refusals)
                .authorizeHttpRequests(routes -> routes.requestMatchers(HttpMethod.GET, publicRoutes)
                        .permitAll()
                        .requestMatchers(HttpMethod.HEAD, publicRoutes)
                        .permitAll()
                        .requestMatchers(INTERNAL_ROUTES)
                        .hasRole(INTERNAL)
                        .requestMatchers(metricsRoute)
                        .hasAnyRole(ADMIN, METRICS)
                        .anyRequest()
                        .hasRole(ADMIN))
                .build();
    }
}
