package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.Lane;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.outbox.OutboxMessage;
import dev.transcriber.common.outbox.OutboxRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * One sender per outbox row: with the broker down, every instance's relay (the api, the worker and a second api)
 * races over the same pending rows, and a row written by the outbox itself waits, leased, in the producer. Once the
 * broker is back, each row is on its topic exactly once, counted with a plain consumer; the job accepted during the
 * outage (its message a notice without a row, waiting in the api's producer meanwhile) succeeds once.
 */
class OutboxOnceTest {

    private static final String RACE_TOPIC = "outbox.race-test";
    private static final int RACE_ROWS = 30;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TestSystem.Isolated isolated;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated();
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @Test
    void everyPendingRowIsSentOnceThoughEveryInstanceRelaysDuringAnOutage() throws Exception {
        TestSystem system = isolated.system();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"Once.\"}")));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        String bootstrap = system.api().getEnvironment().getRequiredProperty("spring.kafka.bootstrap-servers");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(RACE_TOPIC, 3, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        // A job before the outage: the api's producer knows the async topic, so a send during the outage waits in
        // its buffer (up to delivery.timeout.ms) rather than failing at once.
        String before = submit(client);
        await().atMost(Duration.ofSeconds(30)).until(() -> state(before) == JobState.SUCCEEDED);

        ConfigurableApplicationContext anotherApi = system.startAnotherApi();
        try {
            isolated.infra().stopKafka();
            String during = submit(client);
            OutboxRepository outbox = system.api().getBean(OutboxRepository.class);
            List<String> keys = IntStream.range(0, RACE_ROWS)
                    .mapToObj(i -> "race-" + i + "-" + UUID.randomUUID())
                    .toList();
            outbox.saveAll(keys.stream()
                    .map(key -> new OutboxMessage(RACE_TOPIC, key, "{\"n\":\"" + key + "\"}", Instant.now()))
                    .toList());
            // and one written as the services write theirs (leased to its writer, sent as it commits): its send waits
            // in the producer while the relays race over the rows nobody holds
            String leased = "leased-" + UUID.randomUUID();
            system.api()
                    .getBean(TransactionTemplate.class)
                    .executeWithoutResult(
                            status -> system.api().getBean(Outbox.class).add(RACE_TOPIC, leased, Map.of("n", leased)));
            // Three relays try for a while: nothing reaches the broker, nothing is lost.
            await().during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> outbox.count() >= RACE_ROWS + 1);

            isolated.infra().startKafka();

            await().atMost(Duration.ofSeconds(90)).until(() -> outbox.count() == 0);
            await().atMost(Duration.ofSeconds(60)).until(() -> state(during) == JobState.SUCCEEDED);

            Map<String, Integer> race = new HashMap<>();
            Map<String, Integer> jobs = new HashMap<>();
            try (KafkaConsumer<String, String> consumer = consumer(bootstrap)) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (String topic : List.of(RACE_TOPIC, Lane.ASYNC.topic())) {
                    consumer.partitionsFor(topic, Duration.ofSeconds(10))
                            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                }
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                // Read until every row has arrived, then a while longer: a second copy would show up by then.
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    read(consumer, race, jobs);
                    return race.size() == RACE_ROWS + 1 && jobs.containsKey(during);
                });
                await().during(Duration.ofSeconds(3))
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> {
                            read(consumer, race, jobs);
                            return true;
                        });
            }
            assertSoftly(softly -> {
                softly.assertThat(race.keySet())
                        .containsAll(keys)
                        .contains(leased)
                        .hasSize(RACE_ROWS + 1);
                softly.assertThat(race)
                        .as("records per outbox row")
                        .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
                // a notice without a row, sent once by the api's producer; the queue sweeper may send it once more
                // if it looked before the notice landed (harmless: the second claim finds the job taken or ended)
                softly.assertThat(jobs.get(during))
                        .as("JobSubmitted records of the job accepted during the outage")
                        .isBetween(1, 2);
                softly.assertThat(system.upstream()
                                .findAll(postRequestedFor(urlEqualTo("/v1/audio/transcriptions")))
                                .size())
                        .as("upstream calls: the job before and the one during the outage, each once")
                        .isEqualTo(2);
                softly.assertThat(jobs.get(before))
                        .as("JobSubmitted records of the job before")
                        .isEqualTo(1);
            });
        } finally {
            anotherApi.close();
        }
    }

    private static void read(
            KafkaConsumer<String, String> consumer, Map<String, Integer> race, Map<String, Integer> jobs) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
            Map<String, Integer> counts = record.topic().equals(RACE_TOPIC) ? race : jobs;
            counts.merge(record.key(), 1, Integer::sum);
        }
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(properties);
    }

    private JobState state(String id) {
        return isolated.system()
                .jobs()
                .findById(UUID.fromString(id))
                .orElseThrow()
                .state();
    }

    private static String submit(ApiClient client) {
        HttpResponse<String> accepted = client.submitJob(
                new Multipart()
                        .field("model", "gpt-4o-transcribe")
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5)),
                TestSystem.API_KEY,
                null);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        return JSON.readTree(accepted.body()).path("id").asString();
    }
}
