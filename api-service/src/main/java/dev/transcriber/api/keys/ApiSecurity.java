package dev.transcriber.api.keys;

import static dev.transcriber.common.web.BearerAuthentication.ADMIN;
import static dev.transcriber.common.web.BearerAuthentication.CALLER;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.docs.ApiReferencePage;
import dev.transcriber.api.errors.ErrorResponses;
import dev.transcriber.common.web.AdminToken;
import dev.transcriber.common.web.BearerAuthentication;
import dev.transcriber.common.web.GatewaySecurity;
import dev.transcriber.common.web.Refusals;
import java.time.Clock;
import java.util.Arrays;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.header.writers.DelegatingRequestMatcherHeaderWriter;
import org.springframework.security.web.header.writers.StaticHeadersWriter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.AndRequestMatcher;
import org.springframework.security.web.util.matcher.NegatedRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Who may reach which route of the api, in one place. Routes are matched on the path the router uses (decoded,
 * without {@code ;} parameters), after Spring Security's firewall has refused paths with encoded or doubled slashes,
 * encoded dots, {@code ;} or {@code ..}:
 * <ul>
 *   <li>public: liveness and readiness ({@code /actuator/health/**}), the OpenAPI document and its rendered reference
 *       ({@code /docs/api}, with a Content-Security-Policy of its own: {@link #REFERENCE_POLICY});
 *   <li>an API key: {@code /v1/**}, counted against the key's requests per minute ({@link RateLimitFilter});
 *   <li>the admin token: {@code /admin/**} and every other actuator endpoint (metrics, prometheus), wherever
 *       {@code management.endpoints.web.base-path} puts them (with {@code /}, everything but {@code /v1/**});
 *   <li>anything else needs one of the two credentials, and then finds nothing (404).
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@Import(GatewaySecurity.class)
public class ApiSecurity {

    static final String CALLER_ROUTES = "/v1/**";

    /**
     * The reference page's policy: its scripts and styles from this origin only, no inline script; images also as
     * {@code data:} URIs (Swagger UI's icons are in its stylesheet so).
     */
    static final String REFERENCE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private final String[] publicRoutes;
    private final String[] adminRoutes;

    /** {@code actuatorBase}: where the actuator's endpoints are ({@code management.endpoints.web.base-path}). */
    ApiSecurity(@Value("${management.endpoints.web.base-path:/actuator}") String actuatorBase) {
        String[] health = GatewaySecurity.healthRoutes(actuatorBase);
        this.publicRoutes = new String[] {
            health[0], health[1], "/openapi.yaml", ApiReferencePage.PATH, ApiReferencePage.PATH + "/**"
        };
        this.adminRoutes = new String[] {"/admin/**", GatewaySecurity.actuatorRoutes(actuatorBase)};
    }

    @Bean
    Refusals refusals(AdminToken admin) {
        PathPatternRequestMatcher.Builder paths = PathPatternRequestMatcher.withDefaults();
        RequestMatcher admins = new OrRequestMatcher(
                Arrays.stream(adminRoutes).<RequestMatcher>map(paths::matcher).toList());
        return new Refusals(
                admin, new AndRequestMatcher(admins, new NegatedRequestMatcher(paths.matcher(CALLER_ROUTES))));
    }

    @Bean
    SecurityFilterChain apiRoutes(
            HttpSecurity http,
            AdminToken admin,
            Refusals refusals,
            ApiKeys keys,
            RateLimits rateLimits,
            ErrorResponses errors,
            Clock clock,
            ApiProperties properties)
            throws Exception {
        BearerAuthentication bearer = new BearerAuthentication(admin, new ApiKeyCallers(keys));
        return GatewaySecurity.base(http, bearer, refusals)
                .authorizeHttpRequests(routes -> routes.requestMatchers(HttpMethod.GET, publicRoutes)
                        .permitAll()
                        .requestMatchers(HttpMethod.HEAD, publicRoutes)
                        .permitAll()
                        .requestMatchers(CALLER_ROUTES)
                        .hasRole(CALLER)
                        .requestMatchers(adminRoutes)
                        .hasRole(ADMIN)
                        .anyRequest()
                        .authenticated())
                .headers(headers -> headers.addHeaderWriter(new DelegatingRequestMatcherHeaderWriter(
                        new OrRequestMatcher(
                                PathPatternRequestMatcher.withDefaults().matcher(ApiReferencePage.PATH),
                                PathPatternRequestMatcher.withDefaults().matcher(ApiReferencePage.PATH + "/**")),
                        new StaticHeadersWriter("Content-Security-Policy", REFERENCE_POLICY))))
                .addFilterAfter(new RequestLogContext(), AuthorizationFilter.class)
                .addFilterAfter(
                        new RateLimitFilter(rateLimits, errors, clock, properties.defaultRequestsPerMinute()),
                        RequestLogContext.class)
                .build();
    }
}
