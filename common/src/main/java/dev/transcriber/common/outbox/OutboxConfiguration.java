package dev.transcriber.common.outbox;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.store.OutboxRepository;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;

@Configuration(proxyBeanMethods = false)
public class OutboxConfiguration {

    @Bean
    Outbox outbox(OutboxRepository messages, KafkaTemplate<String, String> kafka, EventCodec codec, Clock clock) {
        return new Outbox(messages, kafka, codec, clock);
    }

    @Bean
    OutboxRelay outboxRelay(Outbox outbox, @Value("${transcriber.outbox.min-age:2s}") Duration minAge) {
        return new OutboxRelay(outbox, minAge);
    }

    /** Deletes what was sent, and sends what the fast path could not, every {@code transcriber.outbox.relay-interval}. */
    static final class OutboxRelay {

        private final Outbox outbox;
        private final Duration minAge;

        OutboxRelay(Outbox outbox, Duration minAge) {
            this.outbox = outbox;
            this.minAge = minAge;
        }

        @Scheduled(fixedDelayString = "${transcriber.outbox.cleanup-interval:1s}")
        void forgetSent() {
            outbox.forgetSent();
        }

        @Scheduled(fixedDelayString = "${transcriber.outbox.relay-interval:1s}")
        void relay() {
            outbox.relayPending(minAge, 500);
        }
    }
}
