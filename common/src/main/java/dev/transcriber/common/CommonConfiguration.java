package dev.transcriber.common;

import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.ConsumerThreads;
import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.TopicConfiguration;
import dev.transcriber.common.lifecycle.BatchEnds;
import dev.transcriber.common.lifecycle.JobEnds;
import dev.transcriber.common.metrics.JobMetrics;
import dev.transcriber.common.metrics.LogEventCounter;
import dev.transcriber.common.metrics.ReadinessGauge;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.outbox.OutboxConfiguration;
import dev.transcriber.common.schema.SchemaConfiguration;
import dev.transcriber.common.storage.ObjectStoreConfiguration;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.ServableModels;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.transcript.TranscriptCodec;
import dev.transcriber.common.wakeup.WakeupConfiguration;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.common.webhooks.JobWebhooks;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.time.Clock;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.support.converter.RecordMessageConverter;
import org.springframework.kafka.support.converter.StringJacksonJsonMessageConverter;
import tools.jackson.databind.json.JsonMapper;

/** The beans both services build the same way. Each service imports this. */
@Configuration(proxyBeanMethods = false)
@EntityScan({"dev.transcriber.common.store", "dev.transcriber.common.outbox", "dev.transcriber.common.webhooks"})
@EnableJpaRepositories({
    "dev.transcriber.common.store",
    "dev.transcriber.common.outbox",
    "dev.transcriber.common.webhooks"
})
@Import({
    ObjectStoreConfiguration.class,
    OutboxConfiguration.class,
    TopicConfiguration.class,
    ConsumerThreads.class,
    SchemaConfiguration.class,
    WakeupConfiguration.class
})
public class CommonConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** Step timers; without an actuator registry (slice tests) they go to Micrometer's global one. */
    @Bean
    StageTimers stageTimers(ObjectProvider<MeterRegistry> registry) {
        return new StageTimers(registry.getIfAvailable(() -> Metrics.globalRegistry));
    }

    /** Jobs ended, by outcome; like the step timers, on Micrometer's global registry without an actuator one. */
    @Bean
    JobMetrics jobMetrics(ObjectProvider<MeterRegistry> registry) {
        return new JobMetrics(registry.getIfAvailable(() -> Metrics.globalRegistry));
    }

    /** {@code logback.events}, counted as events are written (it replaces Micrometer's binder: see the class). */
    @Bean
    LogEventCounter logEventCounter() {
        return new LogEventCounter();
    }

    /** {@code transcriber.ready}, from the actuator's readiness group (both services have the actuator). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.actuate.endpoint.HealthEndpoint")
    static class Readiness {

        @Bean
        ReadinessGauge readinessGauge(
                ObjectProvider<org.springframework.boot.health.actuate.endpoint.HealthEndpoint> health,
                ObjectProvider<MeterRegistry> registry) {
            return new ReadinessGauge(health, registry.getIfAvailable(() -> Metrics.globalRegistry));
        }
    }

    /** Trace context for what crosses processes; without a tracer (slice tests), no traces. */
    @Bean
    Traces traces(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
        return new Traces(tracer.getIfAvailable(() -> Tracer.NOOP), propagator.getIfAvailable(() -> Propagator.NOOP));
    }

    /** The catalog, narrowed by {@code transcriber.models.allowed} when set (seed 000's single-model mode). */
    @Bean
    ModelCatalog modelCatalog(@Value("${transcriber.models.allowed:}") List<String> allowed) {
        return ModelCatalog.standard(allowed);
    }

    @Bean
    ServableModels servableModels(JdbcClient jdbc) {
        return new ServableModels(jdbc);
    }

    @Bean
    JobWebhooks jobWebhooks(
            WebhookDeliveryRepository deliveries,
            JdbcClient jdbc,
            JsonMapper json,
            Clock clock,
            Traces traces,
            Wakeups wakeups) {
        return new JobWebhooks(deliveries, jdbc, json, clock, traces, wakeups);
    }

    @Bean
    BatchEnds batchEnds(BatchRepository batches, JdbcClient jdbc, JobWebhooks webhooks, Clock clock) {
        return new BatchEnds(batches, jdbc, webhooks, clock);
    }

    @Bean
    JobEnds jobEnds(Outbox outbox, JobWebhooks webhooks, BatchEnds batches, JobMetrics metrics, Traces traces) {
        return new JobEnds(outbox, webhooks, batches, metrics, traces);
    }

    @Bean
    AddressPolicy addressPolicy(
            @Value("${transcriber.network.allow-loopback:false}") boolean allowLoopback,
            @Value("${transcriber.network.allow-list:}") List<String> allowList) {
        return new AddressPolicy(allowLoopback, allowList);
    }

    @Bean
    EventCodec eventCodec(JsonMapper json) {
        return new EventCodec(json);
    }

    @Bean
    TranscriptCodec transcriptCodec(JsonMapper json) {
        return new TranscriptCodec(json);
    }

    /** Listeners take typed event records; the payload on the wire is a JSON string. */
    @Bean
    RecordMessageConverter kafkaRecordMessageConverter(JsonMapper json) {
        return new StringJacksonJsonMessageConverter(json);
    }
}
