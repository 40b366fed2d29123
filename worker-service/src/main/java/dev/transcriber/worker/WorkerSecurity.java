package dev.transcriber.worker;

import static dev.transcriber.common.web.BearerAuthentication.ADMIN;

import dev.transcriber.common.web.AdminToken;
import dev.transcriber.common.web.BearerAuthentication;
import dev.transcriber.common.web.GatewaySecurity;
import dev.transcriber.common.web.Refusals;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.AnyRequestMatcher;

/**
 * Who may reach which route of the worker, in one place: liveness and readiness ({@code /actuator/health/**}) are
 * public; everything else ({@code /admin/accounts}, metrics, prometheus) takes the admin token. The worker has no
 * callers, so an API key is refused here like any other wrong credential.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@Import(GatewaySecurity.class)
public class WorkerSecurity {

    private final String[] publicRoutes;

    /** {@code actuatorBase}: where the actuator's endpoints are ({@code management.endpoints.web.base-path}). */
    WorkerSecurity(@Value("${management.endpoints.web.base-path:/actuator}") String actuatorBase) {
        this.publicRoutes = GatewaySecurity.healthRoutes(actuatorBase);
    }

    @Bean
    Refusals refusals(AdminToken admin) {
        return new Refusals(admin, AnyRequestMatcher.INSTANCE);
    }

    @Bean
    SecurityFilterChain workerRoutes(HttpSecurity http, AdminToken admin, Refusals refusals) throws Exception {
        return GatewaySecurity.base(http, new BearerAuthentication(admin, null), refusals)
                .authorizeHttpRequests(routes -> routes.requestMatchers(HttpMethod.GET, publicRoutes)
                        .permitAll()
                        .requestMatchers(HttpMethod.HEAD, publicRoutes)
                        .permitAll()
                        .anyRequest()
                        .hasRole(ADMIN))
                .build();
    }
}
