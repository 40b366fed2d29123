package dev.transcriber.common.outbox;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.tracing.Traces;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Publishes events reliably, each by one sender at a time: {@link #add} writes the event in the caller's transaction,
 * leased to this instance for {@code lease}, and sends it to Kafka as soon as that transaction commits. The relay
 * ({@link #relayPending}) of any instance takes only rows nobody holds ({@code SELECT … FOR UPDATE SKIP LOCKED}),
 * leases them to itself and sends them. A row the broker acknowledged is deleted ({@link #settle}); a row whose send
 * failed is handed back at once, so the next relay (of any instance) sends it again; a row whose sender vanished
 * comes back when its lease runs out. The lease outlasts the producer's own give-up time ({@code max.block.ms} +
 * {@code delivery.timeout.ms}), so a send still buffered in a producer is never doubled by another instance; a
 * message is sent twice only when an acknowledgement is lost with its sender, and consumers are idempotent.
 *
 * <p>A notice whose readers also find what it says in the database ({@code JobFinished}, {@code JobProgress}, and the
 * api's {@code JobSubmitted} of a new job) is not written at all: {@link #sendAfterCommit} sends it once the
 * transaction commits, and a lost one costs its readers their poll's interval (the api's held requests look for ended
 * jobs; the workers' queue sweeper sends again the message of a queued job that never arrived).
 *
 * <p>Each row keeps the trace of the code that wrote it ({@code traceparent}, in the same INSERT), and every send of
 * it, right after commit or by a relay later on another thread or instance, carries that trace as the record's
 * {@code traceparent} header, so the consumer continues the writer's trace.
 */
public class Outbox {

    private static final Logger log = LoggerFactory.getLogger(Outbox.class);
    private static final Duration LEASE_MARGIN = Duration.ofSeconds(5);

    private final JdbcClient jdbc;
    private final KafkaTemplate<String, String> kafka;
    private final EventCodec codec;
    private final Clock clock;
    private final Duration lease;
    private final Traces traces;
    private final String owner = UUID.randomUUID().toString();
    private final Queue<Long> sent = new ConcurrentLinkedQueue<>();
    private final Queue<Long> failed = new ConcurrentLinkedQueue<>();
    private volatile Outcomes outcomes = Outcomes.NONE;

    public Outbox(
            JdbcClient jdbc,
            KafkaTemplate<String, String> kafka,
            EventCodec codec,
            Clock clock,
            Duration lease,
            Traces traces) {
        this.traces = traces;
        this.jdbc = jdbc;
        this.kafka = kafka;
        this.codec = codec;
        this.clock = clock;
        this.lease = lease;
    }

    /** Told of each send's outcome, on the producer's thread: quick, and never waiting for anything. */
    public interface Outcomes {

        Outcomes NONE = new Outcomes() {
            @Override
            public void sent() {}

            @Override
            public void failed() {}
        };

        /** The broker acknowledged a message: its row waits for {@link #settle}. */
        void sent();

        /** A send failed: its row waits for {@link #settle} to hand it back, and for a relay to send it again. */
        void failed();
    }

    /** Who is told of each send's outcome (the relay, which settles and re-sends accordingly). */
    public void tell(Outcomes outcomes) {
        this.outcomes = outcomes;
    }

    /**
     * The lease that covers a producer's whole attempt at one record: the wait for metadata and buffer space
     * ({@code max.block.ms}), the delivery with its retries ({@code delivery.timeout.ms}), and a margin.
     */
    public static Duration leaseFor(Map<String, Object> producerConfig) {
        return Duration.ofMillis(millis(producerConfig.get(ProducerConfig.MAX_BLOCK_MS_CONFIG), 60_000)
                        + millis(producerConfig.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG), 120_000))
                .plus(LEASE_MARGIN);
    }

    private static long millis(Object value, long otherwise) {
        return value == null ? otherwise : Long.parseLong(value.toString().trim());
    }

    /**
     * Records {@code event} in the current transaction; it is sent once that transaction commits, in the trace of the
     * span in scope here (if any).
     */
    public void add(String topic, String key, Object event) {
        add(topic, key, event, traces.current());
    }

    /**
     * As {@link #add(String, String, Object)}, in the trace {@code traceparent} (a job's own, when its event is sent
     * again by a process that is not working on it); null: the current span's, if any.
     */
    public void add(String topic, String key, Object event, String traceparent) {
        requireTransaction("Outbox.add");
        Instant now = clock.instant();
        String payload = codec.write(event);
        String trace = traces.currentOr(traceparent);
        // plain SQL in the caller's transaction (the same connection as its JPA work): a row per event is the
        // hottest write there is, and needs no entity
        long id = jdbc.sql(
                        "insert into outbox (topic, message_key, payload, created_at, lease_owner, sending_until,"
                                + " traceparent) values (:topic, :key, :payload, :created, :owner, :until, :trace) returning id")
                .param("topic", topic)
                .param("key", key)
                .param("payload", payload)
                .param("created", Timestamp.from(now))
                .param("owner", owner)
                .param("until", Timestamp.from(now.plus(lease)))
                .param("trace", trace)
                .query(Long.class)
                .single();
        Pending pending = new Pending(id, topic, key, payload, trace);
        afterCommit(() -> send(pending));
    }

    /**
     * Sends {@code event} once the current transaction commits, without writing a row: for a notice whose readers also
     * find what it says in the database at an interval (the api's held requests and streams look there every
     * {@code transcriber.api.completion-poll-interval}; the workers' queue sweeper sends a queued job's message again
     * once the lane's consumers have read past where it would be), so a notice lost with its sender, or refused by the
     * broker, costs them that interval and never a job. A row would cost an insert, a delete and their share of a commit per
     * notice. Nothing is sent if the transaction rolls back. In the trace {@code traceparent} (null: the current
     * span's, if any).
     */
    public void sendAfterCommit(String topic, String key, Object event, String traceparent) {
        requireTransaction("Outbox.sendAfterCommit");
        Pending notice = notice(topic, key, event, traceparent);
        afterCommit(() -> sendNotice(notice));
    }

    /**
     * As {@link #sendAfterCommit}, for a change that has already committed (a single statement outside any
     * transaction): sent now. It never fails its caller, whose change stands: a notice that cannot even be written is
     * logged, as a send the broker refuses is.
     */
    public void sendNow(String topic, String key, Object event, String traceparent) {
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("Outbox.sendNow in a transaction: what it announces has not committed");
        }
        Pending notice;
        try {
            notice = notice(topic, key, event, traceparent);
        } catch (RuntimeException e) {
            log.warn(
                    "notice to {} about {} not written ({}); its readers find it in the database",
                    topic,
                    key,
                    e.toString());
            return;
        }
        sendNotice(notice);
    }

    private Pending notice(String topic, String key, Object event, String traceparent) {
        return new Pending(0, topic, key, codec.write(event), traces.currentOr(traceparent));
    }

    private void sendNotice(Pending notice) {
        produce(notice).whenComplete((result, failure) -> {
            if (failure != null) {
                log.warn(
                        "notice to {} about {} not sent ({}); its readers find it in the database",
                        notice.topic(),
                        notice.key(),
                        failure.toString());
            }
        });
    }

    private static void requireTransaction(String caller) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException(caller + " needs a transaction");
        }
    }

    /** Runs {@code work} once the current transaction commits (not at all if it rolls back). */
    private static void afterCommit(Runnable work) {
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                work.run();
            }
        });
    }

    /** Hands {@code message} to the producer; a send it refuses at once comes back as a failed future. */
    private CompletableFuture<?> produce(Pending message) {
        try {
            return kafka.send(message.record());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A row this instance holds the lease of, or a notice (no row: id 0). */
    private record Pending(long id, String topic, String key, String payload, String traceparent) {

        ProducerRecord<String, String> record() {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, payload);
            if (traceparent != null) {
                record.headers().add(Traces.TRACEPARENT, traceparent.getBytes(StandardCharsets.US_ASCII));
            }
            return record;
        }
    }

    /**
     * Sends {@code message}; the outcome is recorded for {@link #settle} (never on the producer's thread, which must
     * not wait for the database).
     */
    private CompletableFuture<?> send(Pending message) {
        return produce(message).whenComplete((result, failure) -> {
            if (failure == null) {
                sent.add(message.id());
                outcomes.sent();
            } else {
                failed.add(message.id());
                log.warn("outbox message {} not sent yet ({}); the relay will retry", message.id(), failure.toString());
                outcomes.failed();
            }
        });
    }

    /**
     * Deletes the rows of messages the broker acknowledged since the last call, and hands back the rows whose send
     * failed so that the next relay takes them. Returns how many were deleted.
     */
    public int settle() {
        for (List<Long> released = drain(failed); !released.isEmpty(); released = drain(failed)) {
            release(released);
        }
        int deleted = 0;
        for (List<Long> ids = drain(sent); !ids.isEmpty(); ids = drain(sent)) {
            jdbc.sql("delete from outbox where id in (:ids)").param("ids", ids).update();
            deleted += ids.size();
        }
        return deleted;
    }

    /** Up to 10,000 ids (one statement's worth) taken from {@code queue}; the rest stay queued. */
    private static List<Long> drain(Queue<Long> queue) {
        List<Long> ids = new ArrayList<>();
        Long id;
        while (ids.size() < 10_000 && (id = queue.poll()) != null) {
            ids.add(id);
        }
        return ids;
    }

    /** Ends this instance's leases on {@code ids} (a lease taken over meanwhile by another is left alone). */
    private void release(List<Long> ids) {
        jdbc.sql("update outbox set sending_until = null, lease_owner = null where id in (:ids) and lease_owner ="
                        + " :owner")
                .param("ids", ids)
                .param("owner", owner)
                .update();
    }

    /**
     * Takes up to {@code batchSize} rows nobody holds (never acknowledged, their last send failed or its sender
     * gone), leases them to this instance and sends them, waiting for the broker's answers. Stops at the first send
     * the producer fails at once (the broker is unreachable) and hands back the rest. Returns how many were sent.
     */
    public int relayPending(int batchSize) {
        settle();
        Instant now = clock.instant();
        List<Pending> taken = new ArrayList<>(jdbc.sql("update outbox set sending_until = :until, lease_owner = :owner"
                        + " where id in (select id from outbox where sending_until is null or sending_until < :now"
                        + " order by id limit :limit for update skip locked)"
                        + " returning id, topic, message_key, payload, traceparent")
                .param("until", Timestamp.from(now.plus(lease)))
                .param("owner", owner)
                .param("now", Timestamp.from(now))
                .param("limit", batchSize)
                .query((rs, row) -> new Pending(
                        rs.getLong("id"),
                        rs.getString("topic"),
                        rs.getString("message_key"),
                        rs.getString("payload"),
                        rs.getString("traceparent")))
                .list());
        if (taken.isEmpty()) {
            return 0;
        }
        taken.sort(Comparator.comparingLong(Pending::id));
        List<CompletableFuture<?>> sends = new ArrayList<>();
        int next = 0;
        while (next < taken.size()) {
            CompletableFuture<?> send = send(taken.get(next++));
            sends.add(send);
            if (send.isCompletedExceptionally()) {
                break;
            }
        }
        if (next < taken.size()) {
            release(taken.subList(next, taken.size()).stream().map(Pending::id).toList());
        }
        try {
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
                    .get(lease.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("outbox relay: broker still unreachable ({}); will retry", e.toString());
        }
        long acknowledged = sends.stream()
                .filter(s -> s.isDone() && !s.isCompletedExceptionally())
                .count();
        settle();
        if (acknowledged > 0) {
            log.info("outbox relay sent {} pending message(s)", acknowledged);
        }
        return (int) acknowledged;
    }
}
