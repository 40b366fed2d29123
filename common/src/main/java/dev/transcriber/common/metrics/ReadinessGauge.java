package dev.transcriber.common.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.contributor.Status;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * {@code transcriber.ready}: 1 while this instance's readiness group ({@code /actuator/health/readiness}: the
 * application accepts traffic, the database and the object store answer) is UP, else 0. Read every
 * {@code transcriber.metrics.refresh-interval} (10 s), not per scrape, so a dependency that hangs never holds up the
 * scrape. An instance that cannot be scraped at all shows as Prometheus' own {@code up == 0} instead.
 */
public class ReadinessGauge {

    public static final String METER = "transcriber.ready";

    private final ObjectProvider<HealthEndpoint> health;
    private volatile double ready = 0;

    public ReadinessGauge(ObjectProvider<HealthEndpoint> health, MeterRegistry registry) {
        this.health = health;
        Gauge.builder(METER, this, gauge -> gauge.ready)
                .description("1 while the instance's readiness (database, object store) is UP, else 0")
                .register(registry);
    }

    @Scheduled(fixedDelayString = "${transcriber.metrics.refresh-interval:10s}")
    void refresh() {
        try {
            HealthEndpoint endpoint = health.getIfAvailable();
            HealthDescriptor readiness = endpoint == null ? null : endpoint.healthForPath("readiness");
            ready = readiness != null && Status.UP.equals(readiness.getStatus()) ? 1 : 0;
        } catch (RuntimeException e) {
            ready = 0;
        }
    }
}
