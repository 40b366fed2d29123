package dev.transcriber.worker.admission;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How held jobs are released: the scheduler looks when told (a job held, a job that counted against a cap or the bulk
 * window ended, a batch expanded, a key's cap changed) and at the latest every {@code interval}, in case a notification
 * was missed; and how many bulk jobs may be out on the bulk queue or running at once across all workers
 * ({@code bulkWindow}; keep it near the workers' bulk slots in total, so what waits, waits here, where it can be shared
 * fairly, rather than in Kafka's first-come order).
 *
 * @param interval The longest the admission scheduler waits between two looks at the held jobs; it also looks as soon
 *     as it is told that one may go (a job held or ended, a batch expanded, a key's cap changed).
 * @param bulkWindow How many bulk jobs may be queued or running at once across all workers; keep it near the workers'
 *     bulk slots in total.
 */
@ConfigurationProperties("transcriber.admission")
public record AdmissionProperties(
        @DefaultValue("5s") Duration interval,
        @DefaultValue("32") int bulkWindow) {}
