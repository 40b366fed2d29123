package dev.transcriber.worker.metrics;

import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.JobState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * What waits, fleet-wide, read from PostgreSQL every {@code transcriber.metrics.refresh-interval} (10 s), not per
 * scrape: two cheap statements (the queued jobs through their partial index; the outbox, which is empty but for
 * what Kafka has not acknowledged yet, with the notification queue's usage). Every worker reports the same figures, so a dashboard takes the
 * {@code max} over instances, not the sum.
 *
 * <ul>
 *   <li>{@code transcriber.queue.depth}, per {@code lane}: jobs and pieces queued for a worker (not held);
 *   <li>{@code transcriber.queue.held}, per {@code lane}: jobs accepted but held for the admission scheduler (batch
 *       items, keys whose cap queues);
 *   <li>{@code transcriber.queue.oldest.age} (seconds), per {@code lane}: how long the oldest of the first kind has
 *       waited since it last joined the queue ({@code queued_at});
 *   <li>{@code transcriber.outbox.backlog} and {@code transcriber.outbox.oldest.age} (seconds): events written but
 *       not yet acknowledged by Kafka. A growing age means the broker is unreachable or the relay is stuck.
 *   <li>{@code transcriber.notifications.queue.usage} (0 to 1): how full PostgreSQL's notification queue is
 *       ({@code pg_notification_queue_usage()}). It grows only while a listening session does not read (a stuck
 *       listener, or a session that ran {@code LISTEN} and sits in a transaction); once full, every commit that
 *       notifies fails, the end of a job with a webhook among them.
 * </ul>
 *
 * When the database cannot be read, the figures become NaN (unknown) rather than keeping stale values; the
 * readiness gauge ({@code transcriber.ready}) tells that story.
 */
@Component
class BacklogGauges {

    private static final Logger log = LoggerFactory.getLogger(BacklogGauges.class);

    private final JdbcClient jdbc;
    private final Map<Lane, LaneFigures> lanes = new EnumMap<>(Lane.class);
    private volatile double outboxBacklog = Double.NaN;
    private volatile double outboxOldestAge = Double.NaN;
    private volatile double notificationQueueUsage = Double.NaN;

    BacklogGauges(JdbcClient jdbc, MeterRegistry registry) {
        this.jdbc = jdbc;
        for (Lane lane : Lane.values()) {
            LaneFigures figures = new LaneFigures();
            lanes.put(lane, figures);
            String tag = lane.name().toLowerCase(Locale.ROOT);
            Gauge.builder("transcriber.queue.depth", figures, f -> f.depth)
                    .description("Jobs and pieces queued for a worker (not held), fleet-wide")
                    .tag("lane", tag)
                    .register(registry);
            Gauge.builder("transcriber.queue.held", figures, f -> f.held)
                    .description("Jobs accepted but held for the admission scheduler, fleet-wide")
                    .tag("lane", tag)
                    .register(registry);
            Gauge.builder("transcriber.queue.oldest.age", figures, f -> f.oldestAge)
                    .description("How long the oldest queued (not held) job has waited since it joined the queue")
                    .baseUnit("seconds")
                    .tag("lane", tag)
                    .register(registry);
        }
        Gauge.builder("transcriber.outbox.backlog", this, g -> g.outboxBacklog)
                .description("Events written to the outbox and not yet acknowledged by Kafka")
                .register(registry);
        Gauge.builder("transcriber.outbox.oldest.age", this, g -> g.outboxOldestAge)
                .description("Age of the oldest event in the outbox (0 when it is empty)")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("transcriber.notifications.queue.usage", this, g -> g.notificationQueueUsage)
                .description("How full PostgreSQL's notification queue is (0 to 1); full, every notifying commit fails")
                .register(registry);
    }

    @Scheduled(fixedDelayString = "${transcriber.metrics.refresh-interval:10s}")
    void refresh() {
        try {
            readQueues();
            readOutboxAndNotifications();
        } catch (RuntimeException e) {
            log.debug("backlog figures not read: {}", e.toString());
            lanes.values().forEach(LaneFigures::unknown);
            outboxBacklog = Double.NaN;
            outboxOldestAge = Double.NaN;
            notificationQueueUsage = Double.NaN;
        }
    }

    private void readQueues() {
        Map<Lane, LaneFigures> read = new EnumMap<>(Lane.class);
        for (Lane lane : Lane.values()) {
            read.put(lane, new LaneFigures(0, 0, 0));
        }
        jdbc.sql("""
                        select lane, held, count(*), coalesce(extract(epoch from now() - min(queued_at)), 0)
                        from transcription_jobs where state = %s
                        group by lane, held
                        """.formatted(JobState.QUEUED.sql()))
                .query((rs, n) -> {
                    LaneFigures figures = read.get(Lane.valueOf(rs.getString(1)));
                    if (rs.getBoolean(2)) {
                        figures.held = rs.getLong(3);
                    } else {
                        figures.depth = rs.getLong(3);
                        figures.oldestAge = Math.max(0, rs.getDouble(4));
                    }
                    return figures;
                })
                .list();
        read.forEach((lane, figures) -> lanes.get(lane).set(figures));
    }

    /** The outbox's figures and the notification queue's, in one round trip. */
    private void readOutboxAndNotifications() {
        jdbc.sql("select count(*), coalesce(extract(epoch from now() - min(created_at)), 0),"
                        + " pg_notification_queue_usage() from outbox")
                .query((rs, n) -> {
                    outboxBacklog = rs.getLong(1);
                    outboxOldestAge = Math.max(0, rs.getDouble(2));
                    notificationQueueUsage = rs.getDouble(3);
                    return null;
                })
                .list();
    }

    /** One lane's figures; the gauges read the fields, a refresh writes them. */
    private static final class LaneFigures {
        private volatile double depth;
        private volatile double held;
        private volatile double oldestAge;

        LaneFigures() {
            unknown();
        }

        LaneFigures(double depth, double held, double oldestAge) {
            this.depth = depth;
            this.held = held;
            this.oldestAge = oldestAge;
        }

        void set(LaneFigures read) {
            depth = read.depth;
            held = read.held;
            oldestAge = read.oldestAge;
        }

        void unknown() {
            depth = Double.NaN;
            held = Double.NaN;
            oldestAge = Double.NaN;
        }
    }
}
