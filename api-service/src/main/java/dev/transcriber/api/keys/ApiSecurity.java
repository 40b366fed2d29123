package dev.transcriber.api.keys;

import static dev.transcriber.common.web.BearerAuthentication.ADMIN;
import static dev.transcriber.common.web.BearerAuthentication.CALLER;
import static dev.transcriber.common.web.BearerAuthentication.METRICS;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.docs.ApiReferencePage;
import dev.transcriber.api.errors.ErrorResponses;
import dev.transcriber.common.web.AdminToken;
import dev.transcriber.common.web.BearerAuthentication;
import dev.transcriber.common.web.GatewaySecurity;
import dev.transcriber.common.web.MetricsToken;
import dev.transcriber.common.web.Refusals;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.header.Header;
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
 *       ({@code /docs/api}, with a Content-Security-Policy of its own: {@link #REFERENCE_POLICY}), and the web console's
 *       pages and scripts ({@code GET /console}, {@code /console/**}, the chart library under {@code /webjars/uplot/**}: it signs in with a
 *       credential of its own, kept in the tab and sent as a bearer header, never a cookie), which are answered with
 *       a strict content security policy (scripts, styles and connections to this origin only, nothing inline, no
 *       framing) and no referrer;
 *   <li>an API key: {@code /v1/**}, counted against the key's requests per minute ({@link RateLimitFilter});
 *   <li>the metrics token or the admin token: the Prometheus scrape ({@code /actuator/prometheus});
 *   <li>the admin token: {@code /admin/**} and every other actuator endpoint (metrics, env, info), wherever
 *       {@code management.endpoints.web.base-path} puts them (with {@code /}, everything but {@code /v1/**});
 *   <li>anything else needs an API key or the admin token (not the metrics token), and then finds nothing (404).
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@Import(GatewaySecurity.class)
public class ApiSecurity {

    static final String CALLER_ROUTES = "/v1/**";
    static final String[] CONSOLE_ROUTES = {"/console", "/console/**", "/webjars/uplot/**"};
    static final String CONSOLE_POLICY = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:;"
            + " style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
            + " form-action 'self'";

    /**
     * The reference page's policy: its scripts and styles from this origin only, no inline script; images also as
     * {@code data:} URIs (Swagger UI's icons are in its stylesheet so).
     */
    static final String REFERENCE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private final String[] publicRoutes;
    private final String[] adminRoutes;
    private final String metricsRoute;

    /** {@code actuatorBase}: where the actuator's endpoints are ({@code management.endpoints.web.base-path}). */
    ApiSecurity(@Value("${management.endpoints.web.base-path:/actuator}") String actuatorBase) {
        String[] health = GatewaySecurity.healthRoutes(actuatorBase);
        this.publicRoutes = new String[] {
            health[0], health[1], "/openapi.yaml", ApiReferencePage.PATH, ApiReferencePage.PATH + "/**"
        };
        this.adminRoutes = new String[] {"/admin/**", GatewaySecurity.actuatorRoutes(actuatorBase)};
        this.metricsRoute = GatewaySecurity.prometheusRoute(actuatorBase);
    }

    @Bean
    Refusals refusals(AdminToken admin, MetricsToken metrics) {
        PathPatternRequestMatcher.Builder paths = PathPatternRequestMatcher.withDefaults();
        RequestMatcher admins = new OrRequestMatcher(
                Arrays.stream(adminRoutes).<RequestMatcher>map(paths::matcher).toList());
        RequestMatcher notCallers = new NegatedRequestMatcher(paths.matcher(CALLER_ROUTES));
        return new Refusals(admin, new AndRequestMatcher(admins, notCallers))
                .withMetrics(metrics, new AndRequestMatcher(paths.matcher(metricsRoute), notCallers));
    }

    @Bean
    SecurityFilterChain apiRoutes(
            HttpSecurity http,
            AdminToken admin,
            MetricsToken metrics,
            Refusals refusals,
            ApiKeys keys,
            RateLimits rateLimits,
            ErrorResponses errors,
            Clock clock,
            ApiProperties properties)
            throws Exception {
        BearerAuthentication bearer = new BearerAuthentication(admin, metrics, new ApiKeyCallers(keys));
        PathPatternRequestMatcher.Builder paths = PathPatternRequestMatcher.withDefaults();
        RequestMatcher console = new OrRequestMatcher(Arrays.stream(CONSOLE_ROUTES)
                .<RequestMatcher>map(paths::matcher)
                .toList());
        RequestMatcher reference = new OrRequestMatcher(
                paths.matcher(ApiReferencePage.PATH), paths.matcher(ApiReferencePage.PATH + "/**"));
        return GatewaySecurity.base(http, bearer, refusals)
                .headers(headers -> headers.addHeaderWriter(new DelegatingRequestMatcherHeaderWriter(
                                console,
                                new StaticHeadersWriter(List.of(
                                        new Header("Content-Security-Policy", CONSOLE_POLICY),
                                        new Header("Referrer-Policy", "no-referrer")))))
                        .addHeaderWriter(new DelegatingRequestMatcherHeaderWriter(
                                reference, new StaticHeadersWriter("Content-Security-Policy", REFERENCE_POLICY))))
                .authorizeHttpRequests(routes -> routes.requestMatchers(HttpMethod.GET, publicRoutes)
                        .permitAll()
                        .requestMatchers(HttpMethod.HEAD, publicRoutes)
                        .permitAll()
                        .requestMatchers(HttpMethod.GET, CONSOLE_ROUTES)
                        .permitAll()
                        .requestMatchers(HttpMethod.HEAD, CONSOLE_ROUTES)
                        .permitAll()
                        .requestMatchers(CALLER_ROUTES)
                        .hasRole(CALLER)
                        .requestMatchers(metricsRoute)
                        .hasAnyRole(ADMIN, METRICS)
                        .requestMatchers(adminRoutes)
                        .hasRole(ADMIN)
                        .anyRequest()
                        .hasAnyRole(CALLER, ADMIN))
                .addFilterAfter(new RequestLogContext(), AuthorizationFilter.class)
                .addFilterAfter(
                        new RateLimitFilter(rateLimits, errors, clock, properties.defaultRequestsPerMinute()),
                        RequestLogContext.class)
                .build();
    }
}
