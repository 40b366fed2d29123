package dev.transcriber.worker;

import static dev.transcriber.common.web.BearerAuthentication.ADMIN;
import static dev.transcriber.common.web.BearerAuthentication.INTERNAL;

import dev.transcriber.common.web.AdminToken;
import dev.transcriber.common.web.BearerAuthentication;
import dev.transcriber.common.web.GatewaySecurity;
import dev.transcriber.common.web.InternalToken;
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
 * token only; everything else ({@code /admin/accounts}, metrics, prometheus) takes the admin token only. The worker
 * has no callers, so an API key is refused here like any other wrong credential.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@Import(GatewaySecurity.class)
public class WorkerSecurity {

    static final String INTERNAL_ROUTES = "/internal/**";

    private final String[] publicRoutes;

    /** {@code actuatorBase}: where the actuator's endpoints are ({@code management.endpoints.web.base-path}). */
    WorkerSecurity(@Value("${management.endpoints.web.base-path:/actuator}") String actuatorBase) {
        this.publicRoutes = GatewaySecurity.healthRoutes(actuatorBase);
    }

    @Bean
    Refusals refusals(AdminToken admin, InternalToken internal) {
        return new Refusals(
                admin,
                AnyRequestMatcher.INSTANCE,
                internal,
                PathPatternRequestMatcher.withDefaults().matcher(INTERNAL_ROUTES));
    }

    @Bean
    SecurityFilterChain workerRoutes(HttpSecurity http, AdminToken admin, InternalToken internal, Refusals refusals)
            throws Exception {
        return GatewaySecurity.base(
                        http, new BearerAuthentication(admin, BearerAuthentication.internal(internal)), refusals)
                .authorizeHttpRequests(routes -> routes.requestMatchers(HttpMethod.GET, publicRoutes)
                        .permitAll()
                        .requestMatchers(HttpMethod.HEAD, publicRoutes)
                        .permitAll()
                        .requestMatchers(INTERNAL_ROUTES)
                        .hasRole(INTERNAL)
                        .anyRequest()
                        .hasRole(ADMIN))
                .build();
    }
}
