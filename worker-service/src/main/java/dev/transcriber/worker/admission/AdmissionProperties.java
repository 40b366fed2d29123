package dev.transcriber.worker.admission;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How held jobs are released: how often the scheduler looks ({@code interval}), and how many bulk jobs may be out on
 * the bulk queue or running at once across all workers ({@code bulkWindow}; keep it near the workers' bulk slots in
 * total, so what waits, waits here, where it can be shared fairly, rather than in Kafka's first-come order).
 *
 * @param interval How often the admission scheduler releases held jobs.
 * @param bulkWindow How many bulk jobs may be queued or running at once across all workers; keep it near the workers'
 *     bulk slots in total.
 */
@ConfigurationProperties("transcriber.admission")
public record AdmissionProperties(
        @DefaultValue("250ms") Duration interval,
        @DefaultValue("32") int bulkWindow) {}
