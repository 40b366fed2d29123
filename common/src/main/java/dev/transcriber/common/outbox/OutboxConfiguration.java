package dev.transcriber.common.outbox;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.tracing.Traces;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;

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
    OutboxRelay outboxRelay(Outbox outbox) {
        return new OutboxRelay(outbox);
    }

    /**
     * Settles what was sent (deletes the acknowledged rows, hands back the failed ones) every
     * {@code transcriber.outbox.cleanup-interval}, and relays what nobody holds every
     * {@code transcriber.outbox.relay-interval}. Every instance runs both; the leases keep them from sending a row
     * twice.
     */
    static final class OutboxRelay {

        private final Outbox outbox;

        OutboxRelay(Outbox outbox) {
            this.outbox = outbox;
        }

        @Scheduled(fixedDelayString = "${transcriber.outbox.cleanup-interval:1s}")
        void settle() {
            outbox.settle();
        }

        @Scheduled(fixedDelayString = "${transcriber.outbox.relay-interval:1s}")
        void relay() {
            outbox.relayPending(500);
        }
    }
}
