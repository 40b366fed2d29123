package dev.transcriber.common.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.standalone.infra.FreePorts;
import dev.transcriber.standalone.support.BoundedThreads;
import dev.transcriber.standalone.support.ManualClock;
import dev.transcriber.standalone.support.SliceInfrastructure;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The outbox on a real PostgreSQL and a real Kafka broker: an event is a row of the caller's transaction (none when it
 * rolls back), sent once it commits and deleted once the broker has it; the relay sends what is pending in the order
 * it was written, hands a failed send back for the next relay, leaves a row to the sender whose lease runs and takes
 * it when the lease has run out; relays of several instances racing over the same rows send each row once. Each test
 * has a topic of one partition to itself, so what arrived there, and in which order, is what the outbox sent.
 */
class OutboxTest {

    private static final Instant START = Instant.parse("2025-03-10T12:00:00Z");
    private static final Duration LEASE = Duration.ofMinutes(1);
    private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final EventCodec CODEC = new EventCodec(JsonMapper.builder().build());

    private static SliceInfrastructure.Database database;
    private static JdbcClient anotherConnection;
    private static String bootstrap;
    private static Admin admin;
    private static final List<DefaultKafkaProducerFactory<String, String>> producers = new ArrayList<>();
    private static KafkaTemplate<String, String> kafka;
    private static KafkaTemplate<String, String> brokerUnreachable;

    private final ManualClock clock = new ManualClock(START);
    private final String topic = "outbox-test-" + UUID.randomUUID();

    /** An event as the services write them: a record, sent as JSON. */
    record Announced(String id) {}

    @BeforeAll
    static void start() {
        database = SliceInfrastructure.database("outbox");
        anotherConnection = JdbcClient.create(database.newPool(4));
        bootstrap = SliceInfrastructure.kafkaBootstrapServers();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        kafka = template(bootstrap, 5_000);
        // nothing listens there: every send fails once the producer has waited max.block.ms for the broker
        brokerUnreachable = template("127.0.0.1:" + FreePorts.pick(), 300);
    }

    @AfterAll
    static void stop() {
        producers.forEach(DefaultKafkaProducerFactory::destroy);
        if (admin != null) {
            admin.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @BeforeEach
    void emptyOutboxAndTopicOfItsOwn() throws Exception {
        database.jdbc().sql("delete from outbox").update();
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }

    @Test
    void anEventIsARowOfTheCallersTransactionSentWithItsTraceWhenItCommitsAndDeletedOnceAcknowledged() {
        Outbox outbox = outbox(kafka);
        Told told = new Told();
        outbox.tell(told);

        database.transactions().executeWithoutResult(status -> {
            outbox.add(topic, "job-1", new Announced("job-1"), TRACE);

            assertThat(database.jdbc()
                            .sql("select count(*) from outbox")
                            .query(Integer.class)
                            .single())
                    .as("rows in the caller's transaction")
                    .isEqualTo(1);
            assertThat(rows(anotherConnection))
                    .as("rows seen outside it before commit")
                    .isZero();
            assertThat(told.sent).hasValue(0);
        });

        await().atMost(Duration.ofSeconds(10)).until(() -> told.sent.get() == 1);
        assertThat(lease("job-1")).as("leased to its writer until it settles").isEqualTo(START.plus(LEASE));
        List<ConsumerRecord<String, String>> records = sent(1);
        assertThat(records.getFirst().key()).isEqualTo("job-1");
        assertThat(records.getFirst().value()).isEqualTo("{\"id\":\"job-1\"}");
        assertThat(traceparent(records.getFirst())).isEqualTo(TRACE);

        assertThat(outbox.settle()).isEqualTo(1);
        assertThat(rows(anotherConnection)).isZero();
        assertThat(told.failed).hasValue(0);
    }

    @Test
    void aRolledBackTransactionLeavesNoRowAndSendsNothing() {
        Outbox outbox = outbox(kafka);
        Told told = new Told();
        outbox.tell(told);

        database.transactions().executeWithoutResult(status -> {
            outbox.add(topic, "rolled-back", new Announced("rolled-back"), null);
            status.setRollbackOnly();
        });
        assertThatThrownBy(() -> database.transactions().executeWithoutResult(status -> {
                    outbox.add(topic, "failed", new Announced("failed"), null);
                    throw new IllegalStateException("the caller's own work failed");
                }))
                .hasMessage("the caller's own work failed");

        assertThat(rows(anotherConnection)).isZero();
        assertThat(outbox.relayPending(10)).isZero();
        database.transactions().executeWithoutResult(status -> outbox.add(topic, "marker", new Announced("m"), null));
        await().atMost(Duration.ofSeconds(10)).until(() -> told.sent.get() == 1);
        assertThat(sent(1)).extracting(ConsumerRecord::key).containsExactly("marker");
    }

    @Test
    void anEventOutsideATransactionIsRefused() {
        Outbox outbox = outbox(kafka);

        assertThatThrownBy(() -> outbox.add(topic, "loose", new Announced("loose")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs a transaction");
        assertThat(rows(anotherConnection)).isZero();
    }

    @Test
    void theRelaySendsPendingRowsInTheOrderTheyWereWrittenABatchAtATime() {
        List<String> keys = IntStream.range(0, 20).mapToObj(i -> "pending-" + i).toList();
        keys.forEach(key -> pending(key, null, null));
        Outbox relay = outbox(kafka);

        assertThat(relay.relayPending(8)).isEqualTo(8);
        assertThat(keysLeft()).as("the rest wait for the next batch").containsExactlyElementsOf(keys.subList(8, 20));
        assertThat(relay.relayPending(100)).isEqualTo(12);
        assertThat(relay.relayPending(100)).isZero();

        assertThat(rows(anotherConnection)).isZero();
        List<ConsumerRecord<String, String>> records = sent(keys.size());
        assertThat(records).extracting(ConsumerRecord::key).containsExactlyElementsOf(keys);
        assertThat(records).allSatisfy(record -> assertThat(traceparent(record)).isEqualTo(TRACE));
    }

    @Test
    void aFailedSendIsHandedBackAndTheNextRelayOfAnyInstanceSendsIt() {
        Outbox down = outbox(brokerUnreachable);
        Told told = new Told();
        down.tell(told);

        database.transactions().executeWithoutResult(status -> down.add(topic, "first", new Announced("1"), null));
        await().atMost(Duration.ofSeconds(10)).until(() -> told.failed.get() == 1);
        assertThat(lease("first")).as("still its writer's until settled").isNotNull();
        assertThat(down.settle()).isZero();
        assertThat(lease("first")).as("handed back").isNull();

        pending("second", null, null);
        pending("third", null, null);
        assertThat(down.relayPending(10)).as("the broker is still unreachable").isZero();
        assertThat(told.failed).as("it stops at the first send that fails").hasValue(2);
        assertThat(keysLeft()).containsExactly("first", "second", "third");
        assertThat(leasedRows()).as("every row handed back").isZero();

        Outbox up = outbox(kafka);
        assertThat(up.relayPending(10)).isEqualTo(3);
        assertThat(rows(anotherConnection)).isZero();
        assertThat(sent(3)).extracting(ConsumerRecord::key).containsExactly("first", "second", "third");
    }

    @Test
    void aRowIsLeftToTheSenderWhoseLeaseRunsAndTakenWhenTheLeaseHasRunOut() {
        Outbox writer = outbox(kafka);
        Outbox relay = outbox(kafka);
        Told told = new Told();
        writer.tell(told);

        database.transactions().executeWithoutResult(status -> writer.add(topic, "fast", new Announced("f"), null));
        await().atMost(Duration.ofSeconds(10)).until(() -> told.sent.get() == 1);
        assertThat(relay.relayPending(10))
                .as("sent by its writer, not settled yet")
                .isZero();
        assertThat(writer.settle()).isEqualTo(1);

        // its sender vanished before sending it: it comes back when the lease runs out
        pending("orphan", "an-instance-gone", START.plus(LEASE));
        clock.set(START.plus(LEASE));
        assertThat(relay.relayPending(10)).isZero();
        clock.advance(Duration.ofMillis(1));
        assertThat(relay.relayPending(10)).isEqualTo(1);

        assertThat(rows(anotherConnection)).isZero();
        assertThat(sent(2)).extracting(ConsumerRecord::key).containsExactly("fast", "orphan");
    }

    @Test
    void relaysOfSeveralInstancesRacingOverTheSameRowsSendEachRowOnce() throws Exception {
        int rows = 300;
        int instances = 3;
        database.jdbc()
                .sql("insert into outbox (topic, message_key, payload, created_at) select :topic, 'race-' || n,"
                        + " '{}', now() from generate_series(1, :rows) n")
                .param("topic", topic)
                .param("rows", rows)
                .update();
        CyclicBarrier together = new CyclicBarrier(instances);

        int sentByAll = 0;
        try (BoundedThreads threads = BoundedThreads.of(instances, "relay")) {
            List<Future<Integer>> relays = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                // each instance its own connections, producer and lease owner
                Outbox instance = new Outbox(
                        JdbcClient.create(database.newPool(2)),
                        template(bootstrap, 5_000),
                        CODEC,
                        clock,
                        LEASE,
                        Traces.none());
                relays.add(threads.submit(() -> {
                    together.await(30, TimeUnit.SECONDS);
                    int sent = 0;
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (rows(anotherConnection) > 0 && System.nanoTime() < deadline) {
                        sent += instance.relayPending(10);
                    }
                    return sent;
                }));
            }
            for (Future<Integer> relay : relays) {
                sentByAll += BoundedThreads.get(relay, Duration.ofSeconds(60), "a relay instance");
            }
        }

        assertThat(rows(anotherConnection)).isZero();
        assertThat(sentByAll).isEqualTo(rows);
        Map<String, Integer> copies = new HashMap<>();
        sent(rows).forEach(record -> copies.merge(record.key(), 1, Integer::sum));
        assertThat(copies)
                .hasSize(rows)
                .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
    }

    @Test
    void everyAcknowledgedRowIsDeletedThoughMoreThanTenThousandAwaitSettlingAtOnce() {
        int rows = 10_001;
        database.jdbc()
                .sql("insert into outbox (topic, message_key, payload, created_at) select :topic, 'bulk-' || n,"
                        + " '{}', now() from generate_series(1, :rows) n")
                .param("topic", topic)
                .param("rows", rows)
                .update();
        Outbox relay = outbox(kafka);

        assertThat(relay.relayPending(rows)).isEqualTo(rows);
        relay.settle();

        assertThat(rows(anotherConnection))
                .as("rows left though the broker acknowledged every one")
                .isZero();
        clock.advance(LEASE.plusSeconds(1));
        assertThat(outbox(kafka).relayPending(rows))
                .as("sent again once the lease ran out")
                .isZero();
        assertThat(endOffset()).isEqualTo(rows);
    }

    @Test
    void theLeaseOutlastsTheProducersOwnGiveUpTime() {
        assertThat(Outbox.leaseFor(Map.<String, Object>of(
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000", ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000)))
                .isEqualTo(Duration.ofSeconds(40));
        assertThat(Outbox.leaseFor(Map.of()))
                .as("Kafka's defaults: 60 s + 120 s")
                .isEqualTo(Duration.ofSeconds(185));
    }

    /** Counts the outcomes the outbox reports, as its relay is told of them. */
    static final class Told implements Outbox.Outcomes {
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        @Override
        public void sent() {
            sent.incrementAndGet();
        }

        @Override
        public void failed() {
            failed.incrementAndGet();
        }
    }

    private Outbox outbox(KafkaTemplate<String, String> template) {
        return new Outbox(database.jdbc(), template, CODEC, clock, LEASE, Traces.none());
    }

    private static KafkaTemplate<String, String> template(String servers, int maxBlockMs) {
        // the services' producer settings (transcriber-common.yml), with the default partitioner
        DefaultKafkaProducerFactory<String, String> factory = new DefaultKafkaProducerFactory<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                servers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.LINGER_MS_CONFIG,
                0,
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                maxBlockMs,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                10_000));
        synchronized (producers) {
            producers.add(factory);
        }
        return new KafkaTemplate<>(factory);
    }

    /** A row no one is sending (as a relay finds after an outage), or one leased to {@code owner} until then. */
    private void pending(String key, String owner, Instant until) {
        database.jdbc()
                .sql("insert into outbox (topic, message_key, payload, created_at, lease_owner, sending_until,"
                        + " traceparent) values (:topic, :key, :payload, :created, :owner, :until, :trace)")
                .param("topic", topic)
                .param("key", key)
                .param("payload", CODEC.write(new Announced(key)))
                .param("created", Timestamp.from(clock.instant()))
                .param("owner", owner)
                .param("until", until == null ? null : Timestamp.from(until))
                .param("trace", TRACE)
                .update();
    }

    private static int rows(JdbcClient jdbc) {
        return jdbc.sql("select count(*) from outbox").query(Integer.class).single();
    }

    private int leasedRows() {
        return anotherConnection
                .sql("select count(*) from outbox where lease_owner is not null or sending_until is not null")
                .query(Integer.class)
                .single();
    }

    private List<String> keysLeft() {
        return anotherConnection
                .sql("select message_key from outbox order by id")
                .query(String.class)
                .list();
    }

    private Instant lease(String key) {
        return anotherConnection
                .sql("select sending_until from outbox where message_key = :key")
                .param("key", key)
                .query(Timestamp.class)
                .optional()
                .map(Timestamp::toInstant)
                .orElse(null);
    }

    private static String traceparent(ConsumerRecord<String, String> record) {
        Header header = record.headers().lastHeader(Traces.TRACEPARENT);
        return header == null ? null : new String(header.value(), StandardCharsets.US_ASCII);
    }

    /**
     * The records on this test's topic, read from the start once {@code expected} are there; and no more than that
     * are there (everything the outbox sent has been acknowledged by the time a test reads).
     */
    private List<ConsumerRecord<String, String>> sent(int expected) {
        assertThat(endOffset()).as("records on the topic").isEqualTo(expected);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer()) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        return records;
    }

    private long endOffset() {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            TopicPartition partition = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(partition)).get(partition);
        }
    }

    private static KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                StringDeserializer.class));
    }
}
