package dev.transcriber.common.outbox;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.wakeup.Doorbell;
import dev.transcriber.common.wakeup.Wakeups;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.KafkaTemplate;

@Configuration(proxyBeanMethods = false)
public class OutboxConfiguration {

    /**
     * {@code transcriber.outbox.lease}: how long a row being sent by one instance is left alone by the others; by
     * default the producer's own give-up time plus a margin ({@link Outbox#leaseFor}). Shorter risks a second send of
     * a message still waiting in a producer; longer delays the relay of rows whose instance died before sending.
     */
    @Bean
    Outbox outbox(
            JdbcClient jdbc,
            KafkaTemplate<String, String> kafka,
            EventCodec codec,
            Clock clock,
            @Value("${transcriber.outbox.lease:#{null}}") Duration lease,
            Traces traces) {
        return new Outbox(
                jdbc,
                kafka,
                codec,
                clock,
                lease != null
                        ? lease
                        : Outbox.leaseFor(kafka.getProducerFactory().getConfigurationProperties()),
                traces);
    }

    @Bean
    OutboxRelay outboxRelay(
            Outbox outbox,
            Wakeups wakeups,
            @Value("${transcriber.outbox.relay-interval:5s}") Duration relayInterval,
            @Value("${transcriber.outbox.failed-send-retry:1s}") Duration failedSendRetry,
            @Value("${transcriber.outbox.cleanup-interval:1s}") Duration cleanupInterval) {
        return new OutboxRelay(outbox, wakeups, relayInterval, failedSendRetry, cleanupInterval);
    }

    /**
     * Every instance runs a relay of the rows nobody holds, and settles what it sent itself; the leases keep two
     * instances from sending a row at once. The relay's work is only the rows whose send failed or whose sender died
     * (every other row is sent right after its commit by the instance that wrote it): it runs within
     * {@code transcriber.outbox.failed-send-retry} of a send of this instance failing (not at once: a broker that
     * refuses at once would make that a loop), again at once after taking a full batch, and otherwise every
     * {@code transcriber.outbox.relay-interval} (a row whose sender died comes back when its lease ends). What was
     * sent is settled (acknowledged rows deleted, failed ones handed back) within
     * {@code transcriber.outbox.cleanup-interval} of a send ending, and not at all while nothing is sent.
     */
    static final class OutboxRelay {

        private static final int BATCH = 500;

        private final Outbox outbox;
        private final Doorbell relay;

        OutboxRelay(
                Outbox outbox,
                Wakeups wakeups,
                Duration relayInterval,
                Duration failedSendRetry,
                Duration cleanupInterval) {
            this.outbox = outbox;
            this.relay = wakeups.doorbell("outbox-relay", relayInterval, this::relay);
            Doorbell settle = wakeups.doorbell("outbox-settle", relayInterval, outbox::settle);
            outbox.tell(new Outbox.Outcomes() {
                @Override
                public void sent() {
                    settle.ringWithin(cleanupInterval);
                }

                @Override
                public void failed() {
                    settle.ringWithin(cleanupInterval);
                    relay.ringWithin(failedSendRetry);
                }
            });
        }

        private void relay() {
            if (outbox.relayPending(BATCH) >= BATCH) {
                relay.ring(); // a backlog (after an outage): the next batch at once
            }
        }
    }
}
