package dev.transcriber.common.web;

/**
 * The token a metrics scraper sends ({@code transcriber.metrics.token}, TRANSCRIBER_METRICS_TOKEN): it opens the
 * Prometheus scrape route ({@link GatewaySecurity#prometheusRoute}, role {@value BearerAuthentication#METRICS}) and
 * nothing else, so Prometheus need not hold the admin token, which also opens the admin API. The admin token still
 * opens the scrape route. Unset, only the admin token does; set, it must be strong ({@link Secrets}) and differ from
 * the admin and internal tokens. Compared in constant time.
 */
public final class MetricsToken {

    private final ConfiguredSecret token;

    public MetricsToken(String token) {
        this.token = new ConfiguredSecret("transcriber.metrics.token (TRANSCRIBER_METRICS_TOKEN)", token);
    }

    public boolean configured() {
        return token.configured();
    }

    public boolean matches(String bearer) {
        return token.matches(bearer);
    }
}
