package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.standalone.support.TestSystem;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.ProducerFactory;

/**
 * The consumers' long empty-fetch wait ({@code fetch.max.wait.ms}, what keeps an idle system quiet) delays no record:
 * with a fetch held by the broker, a record produced to its partition ends the wait, and the consumer has it well
 * before the wait would have ended. Checked with each service's own consumer settings.
 */
class EmptyFetchWaitTest {

    @Test
    void aRecordEndsTheBrokersWaitForAnEmptyFetchAtOnce() throws Exception {
        TestSystem system = TestSystem.embedded();
        for (ConfigurableApplicationContext service : List.of(system.api(), system.worker())) {
            Map<String, Object> settings =
                    new HashMap<>(service.getBean(ConsumerFactory.class).getConfigurationProperties());
            long wait = Long.parseLong(String.valueOf(settings.get(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG)));
            long requestTimeout =
                    Long.parseLong(String.valueOf(settings.get(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG)));
            assertThat(wait).as("fetch.max.wait.ms").isGreaterThanOrEqualTo(5000);
            assertThat(requestTimeout).as("request.timeout.ms").isGreaterThan(wait);

            String topic = "fetch-wait-" + UUID.randomUUID();
            try (Admin admin = Admin.create(service.getBean(KafkaAdmin.class).getConfigurationProperties())) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            }
            TopicPartition partition = new TopicPartition(topic, 0);
            settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
            try (Consumer<String, String> consumer =
                            new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer());
                    Producer<?, ?> anyProducer =
                            service.getBean(ProducerFactory.class).createProducer()) {
                @SuppressWarnings("unchecked")
                Producer<String, String> producer = (Producer<String, String>) anyProducer;
                consumer.assign(List.of(partition));
                assertThat(consumer.position(partition, Duration.ofSeconds(30))).isZero();
                // This poll sends a fetch for the empty partition; the broker holds it for the whole wait.
                assertThat(consumer.poll(Duration.ofMillis(300)).isEmpty()).isTrue();

                producer.send(new ProducerRecord<>(topic, "job", "arrived")).get(10, TimeUnit.SECONDS);
                long producedAt = System.nanoTime();
                ConsumerRecords<String, String> records = ConsumerRecords.empty();
                while (records.isEmpty()
                        && System.nanoTime() - producedAt
                                < Duration.ofSeconds(20).toNanos()) {
                    records = consumer.poll(Duration.ofMillis(100));
                }
                long tookMillis =
                        Duration.ofNanos(System.nanoTime() - producedAt).toMillis();

                assertThat(records.records(partition))
                        .singleElement()
                        .satisfies(record -> assertThat(record.value()).isEqualTo("arrived"));
                assertThat(tookMillis)
                        .as("ms from the record's append to the consumer's poll, with a wait of %d ms", wait)
                        .isLessThan(wait / 2);
            }
        }
    }
}
