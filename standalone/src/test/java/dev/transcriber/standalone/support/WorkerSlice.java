package dev.transcriber.standalone.support;

import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.lifecycle.BatchEnds;
import dev.transcriber.common.lifecycle.JobEnds;
import dev.transcriber.common.metrics.JobMetrics;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.transcript.TranscriptCodec;
import dev.transcriber.common.wakeup.PostgresNotifications;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.common.webhooks.JobWebhooks;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.worker.diarization.DiarizationProperties;
import dev.transcriber.worker.usage.UsageLedger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.boot.persistence.autoconfigure.PersistenceExceptionTranslationAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.ProducerListener;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * A slice of the worker for tests of its concurrency-critical classes, far cheaper than the whole system
 * ({@link TestSystem}): a small Spring context on a fresh database of its own ({@link SliceInfrastructure}, a real
 * PostgreSQL with the project's migrations) with the job store (JPA repositories, {@code JdbcClient}, the transaction
 * manager, the settings of {@code transcriber-common.yml}), the shared collaborators the worker's classes take (the
 * outbox, job ends, webhooks, usage, speakers' store), a {@link TestClock}, and the worker classes a test names. No
 * Kafka broker, object store or upstream: what a class announces is asserted on the outbox table, where it is written
 * in the class's own transaction (sending it is the relay's business, which the flow tests cover); the outbox's
 * producer finds no broker, so the rows stay for the test to read.
 *
 * <p>Background tasks do not run by themselves: the wake-ups are not started, so a test calls the task it tests
 * (a scheduler's run, a sender's look) and nothing else moves the rows.
 */
public final class WorkerSlice implements AutoCloseable {

    /** A message written to the outbox: its topic, key and JSON payload. */
    public record Message(String topic, String key, String payload) {}

    private final ConfigurableApplicationContext context;
    private final SliceInfrastructure.Database database;

    private WorkerSlice(ConfigurableApplicationContext context, SliceInfrastructure.Database database) {
        this.context = context;
        this.database = database;
    }

    /** The slice for {@code test} on a fresh database, with {@code components} (worker classes) as beans. */
    public static WorkerSlice start(Class<?> test, Class<?>... components) {
        SliceInfrastructure.Database database = SliceInfrastructure.database(test.getSimpleName());
        List<Class<?>> sources = new ArrayList<>();
        sources.add(Shared.class);
        sources.addAll(List.of(components));
        try {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(sources.toArray(Class<?>[]::new))
                    .web(WebApplicationType.NONE)
                    .registerShutdownHook(false)
                    .run(
                            "--spring.config.name=worker-slice",
                            "--spring.config.import=classpath:transcriber-common.yml",
                            "--spring.main.banner-mode=off",
                            "--spring.datasource.url=" + database.jdbcUrl(),
                            "--spring.datasource.username=" + database.user(),
                            "--spring.datasource.password=" + database.password(),
                            "--spring.datasource.hikari.maximum-pool-size=24",
                            "--spring.datasource.hikari.connection-timeout=10000");
            return new WorkerSlice(context, database);
        } catch (RuntimeException | Error failed) {
            // the context closed itself; the database it was to use goes too
            try {
                database.close();
            } catch (RuntimeException dropping) {
                failed.addSuppressed(dropping);
            }
            throw failed;
        }
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public TestClock clock() {
        return context.getBean(TestClock.class);
    }

    public JdbcClient jdbc() {
        return context.getBean(JdbcClient.class);
    }

    public TransactionTemplate transactions() {
        return context.getBean(TransactionTemplate.class);
    }

    /** {@code count} new jobs queued in {@code lane} (a whisper-sized WAV each), saved; their ids in order. */
    public List<JobId> saveQueued(Lane lane, int count) {
        List<JobId> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            JobId id = JobId.random();
            jobs().save(TranscriptionJob.queued(
                    id,
                    null,
                    lane,
                    new JobSpec("gpt-4o-transcribe", "json", null, null, null),
                    new StoredAudio("audio/" + id, "clip.wav", "audio/wav", 1000),
                    clock().instant()));
            ids.add(id);
        }
        return ids;
    }

    public JobRepository jobs() {
        return context.getBean(JobRepository.class);
    }

    public MeterRegistry meters() {
        return context.getBean(MeterRegistry.class);
    }

    /** The job's row as it is now. */
    public TranscriptionJob job(JobId id) {
        return jobs().findById(id.value()).orElseThrow(() -> new AssertionError("no job " + id));
    }

    /** Changes the job's row in a transaction of its own, as another process would (an owner's cancel, say). */
    public void change(JobId id, Consumer<TranscriptionJob> change) {
        transactions()
                .executeWithoutResult(
                        status -> change.accept(jobs().findById(id.value()).orElseThrow()));
    }

    /** Saves a new API key named {@code name}, after {@code settings}; its id. */
    public UUID apiKey(String name, Consumer<ApiKey> settings) {
        UUID id = UUID.randomUUID();
        ApiKey key = new ApiKey(id, name, "hash-" + id, "sk-" + name, clock().instant());
        settings.accept(key);
        context.getBean(ApiKeyRepository.class).save(key);
        return id;
    }

    /** Removes every job (with what refers to it) and every outbox message: a test that counts starts from none. */
    public void clearJobs() {
        jdbc().sql("truncate transcription_jobs, outbox cascade").update();
    }

    /** Every message written to the outbox, oldest first. */
    public List<Message> outbox() {
        return jdbc().sql("select topic, message_key, payload from outbox order by id")
                .query((rs, n) -> new Message(rs.getString(1), rs.getString(2), rs.getString(3)))
                .list();
    }

    /** The messages to {@code topic} keyed by {@code id} (a job's messages are keyed by its id). */
    public List<Message> outbox(String topic, JobId id) {
        return outbox().stream()
                .filter(m -> m.topic().equals(topic) && m.key().equals(id.toString()))
                .toList();
    }

    /**
     * The records to {@code topic} keyed by {@code id} that were handed to the producer (each fails, as no broker
     * listens): the notices sent after commit without an outbox row ({@link Outbox#sendAfterCommit}), and the first
     * send of every outbox row.
     */
    public List<Message> sent(String topic, JobId id) {
        return context.getBean(SentRecords.class).records().stream()
                .filter(m -> m.topic().equals(topic) && m.key().equals(id.toString()))
                .toList();
    }

    /** The records handed to the slice's producer, in order. */
    record SentRecords(List<Message> records) {}

    /** The sum of the counters named {@code name} whose tags include {@code tags} (name, value, ...). */
    public double count(String name, String... tags) {
        return meters().find(name).tags(tags).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    @Override
    public void close() {
        try {
            context.close();
        } finally {
            database.close();
        }
    }

    /** The store and the collaborators the worker's classes share, as the services build them, minus the broker. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({
        DataSourceAutoConfiguration.class,
        JdbcTemplateAutoConfiguration.class,
        JdbcClientAutoConfiguration.class,
        HibernateJpaAutoConfiguration.class,
        TransactionAutoConfiguration.class,
        PersistenceExceptionTranslationAutoConfiguration.class,
        JacksonAutoConfiguration.class
    })
    @EntityScan({"dev.transcriber.common.store", "dev.transcriber.common.webhooks"})
    @EnableJpaRepositories({"dev.transcriber.common.store", "dev.transcriber.common.webhooks"})
    static class Shared {

        @Bean
        TestClock clock() {
            return new TestClock();
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        Traces traces() {
            return new Traces(Tracer.NOOP, Propagator.NOOP);
        }

        @Bean
        StageTimers stageTimers(MeterRegistry registry) {
            return new StageTimers(registry);
        }

        @Bean
        JobMetrics jobMetrics(MeterRegistry registry) {
            return new JobMetrics(registry);
        }

        @Bean
        ModelCatalog modelCatalog() {
            return ModelCatalog.standard(List.of());
        }

        @Bean
        UsageLedger usageLedger(JdbcClient jdbc, ModelCatalog catalog) {
            return new UsageLedger(jdbc, catalog);
        }

        @Bean
        EventCodec eventCodec(JsonMapper json) {
            return new EventCodec(json);
        }

        @Bean
        TranscriptCodec transcriptCodec(JsonMapper json) {
            return new TranscriptCodec(json);
        }

        /** Loopback allowed: the webhook receivers of tests listen on 127.0.0.1. */
        @Bean
        AddressPolicy addressPolicy() {
            return new AddressPolicy(true, List.of());
        }

        /**
         * A producer pointed at a port where no broker listens (and that no server of this JVM is given): it fails
         * each send at once, so the outbox keeps every row it writes.
         */
        @Bean
        DefaultKafkaProducerFactory<String, String> producerFactory() {
            return new DefaultKafkaProducerFactory<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    "127.0.0.1:" + FreePorts.pick(),
                    ProducerConfig.MAX_BLOCK_MS_CONFIG,
                    0,
                    ProducerConfig.RECONNECT_BACKOFF_MS_CONFIG,
                    1000,
                    ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG,
                    60_000,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                    StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                    StringSerializer.class));
        }

        @Bean
        SentRecords sentRecords() {
            return new SentRecords(new java.util.concurrent.CopyOnWriteArrayList<>());
        }

        @Bean
        Outbox outbox(
                JdbcClient jdbc,
                DefaultKafkaProducerFactory<String, String> producers,
                EventCodec codec,
                TestClock clock,
                Traces traces,
                SentRecords sent) {
            KafkaTemplate<String, String> kafka = new KafkaTemplate<>(producers);
            // the failed sends are expected: recorded, not logged
            kafka.setProducerListener(new ProducerListener<>() {
                @Override
                public void onError(
                        org.apache.kafka.clients.producer.ProducerRecord<String, String> record,
                        org.apache.kafka.clients.producer.RecordMetadata metadata,
                        Exception exception) {
                    sent.records().add(new Message(record.topic(), record.key(), record.value()));
                }
            });
            return new Outbox(jdbc, kafka, codec, clock, Duration.ofHours(1), traces);
        }

        /** Real notifications in the writers' transactions; never started, so no doorbell runs by itself. */
        @Bean
        Wakeups wakeups(DataSource dataSource, JdbcClient jdbc) {
            return new Wakeups(
                    new PostgresNotifications(
                            dataSource::getConnection,
                            Duration.ofSeconds(30),
                            Duration.ofMillis(100),
                            Duration.ofSeconds(1)),
                    jdbc) {
                @Override
                public boolean isAutoStartup() {
                    return false;
                }
            };
        }

        @Bean
        JobWebhooks jobWebhooks(
                WebhookDeliveryRepository deliveries,
                JdbcClient jdbc,
                JsonMapper json,
                TestClock clock,
                Traces traces,
                Wakeups wakeups) {
            return new JobWebhooks(deliveries, jdbc, json, clock, traces, wakeups);
        }

        @Bean
        BatchEnds batchEnds(BatchRepository batches, JdbcClient jdbc, JobWebhooks webhooks, TestClock clock) {
            return new BatchEnds(batches, jdbc, webhooks, clock);
        }

        @Bean
        JobEnds jobEnds(Outbox outbox, JobWebhooks webhooks, BatchEnds batches, JobMetrics metrics, Traces traces) {
            return new JobEnds(outbox, webhooks, batches, metrics, traces);
        }

        /** Waves of one piece after the first, the default. */
        @Bean
        DiarizationProperties diarizationProperties() {
            return new DiarizationProperties(1);
        }
    }
}
