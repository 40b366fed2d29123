package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.JobState;
import jakarta.annotation.PreDestroy;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Sends again the {@code JobSubmitted} of queued jobs whose message is gone: dead-lettered after its claim kept
 * failing, lost, or never sent. A job thus never depends on one Kafka message; the database is the truth.
 *
 * <p>The rule for "gone", and why it never floods a long backlog: a queued job's message, if it was ever sent, was
 * acknowledged before its outbox row went, so it lies before the lane topic's end offsets as read after the job was
 * seen queued with no outbox row (its <em>observation</em>). (A new job's message is a notice with no outbox row,
 * sent as its transaction commits: one still on its way to the broker at the observation may land after those
 * offsets, and if the lane has not consumed it by the next sweep (a slow send, a paused lane, a rebalance), its job is
 * sent once more. A second message is harmless: its claim finds the job taken or ended, and the record is passed.)
 * Each sweep looks at up to 1,000 such jobs of each lane, the longest queued first, so a backlog of one lane never
 * hides another lane's lost message. Once the lane's consumer group has committed past those
 * end offsets on every partition, every message sent before the observation has been handled, and a handled message
 * claims its job (the claim changes the job's version) before the group's offsets move past it (the listener commits
 * only claimed records, and records that name no job). So a job still queued at the version it was observed at has
 * no message left: it is sent again. A job waiting in a backlog, however long (a bulk lane for hours, or a full lane
 * whose consumer is paused), is never sent again, since the group has not consumed past it; nor does it depend on a
 * guessed time. Every
 * partition of the lane is compared, not just the job's own, so the rule does not depend on how the producer
 * partitions: a lagging partition only delays the sweep of the lane. A partition with no committed offset counts as
 * consumed up to its first offset (an empty partition, or messages removed by retention, hold nothing for the job).
 *
 * <p>Held jobs are the {@code AdmissionScheduler}'s, and jobs with an outbox row are the outbox relay's: neither is
 * looked at. Re-sending is one conditional statement that also moves the job's version on ({@code update ... where
 * version = ?}, with the outbox row in the same transaction), so it runs safely on every worker at once: of two
 * sweepers that observed the same job, one sends, and the other's observation no longer matches. The observations
 * live in memory; after a restart a job is observed again (one more sweep interval before it is sent).
 */
@Component
class QueueSweeper {

    private static final Logger log = LoggerFactory.getLogger(QueueSweeper.class);
    private static final int BATCH = 1000;
    private static final long ADMIN_TIMEOUT_SECONDS = 10;

    private final JdbcClient jdbc;
    private final Outbox outbox;
    private final TransactionTemplate transactions;
    private final KafkaAdmin kafkaAdmin;
    private final RecoveryCounters recoveries;
    private final Map<UUID, Observation> observations = new ConcurrentHashMap<>();
    private Admin admin;

    QueueSweeper(
            JdbcClient jdbc,
            Outbox outbox,
            TransactionTemplate transactions,
            KafkaAdmin kafkaAdmin,
            RecoveryCounters recoveries) {
        this.jdbc = jdbc;
        this.outbox = outbox;
        this.transactions = transactions;
        this.kafkaAdmin = kafkaAdmin;
        this.recoveries = recoveries;
    }

    /** A queued job as seen by a sweep, and its lane's end offsets read right after. */
    private record Observation(long version, Map<TopicPartition, Long> ends) {}

    /** A queued job, and the trace of the request that created it (its re-sent event continues it). */
    record Queued(UUID id, Lane lane, long version, String traceparent) {}

    @Scheduled(fixedDelayString = "${transcriber.worker.queue.sweep-interval:10s}")
    void tick() {
        try {
            int sent = sweep();
            if (sent > 0) {
                log.info("sent again {} queued job(s) whose message was gone", sent);
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("queue sweep skipped: {}", e.toString());
        }
    }

    /** One sweep; the number of jobs sent again. */
    int sweep() throws Exception {
        Map<Lane, List<Queued>> queued = queuedWithoutMessageInOutbox(jdbc, BATCH).stream()
                .collect(Collectors.groupingBy(Queued::lane, () -> new EnumMap<>(Lane.class), Collectors.toList()));
        Set<UUID> seen =
                queued.values().stream().flatMap(List::stream).map(Queued::id).collect(Collectors.toSet());
        observations.keySet().retainAll(seen);
        int sent = 0;
        for (var lane : queued.entrySet()) {
            // Both read after the jobs were: a job observed now has its message (if any) before these ends, and a
            // job sent again has not changed since this progress was read (the update checks its version).
            Map<TopicPartition, Long> consumed = consumed(lane.getKey());
            Map<TopicPartition, Long> ends = offsets(lane.getKey(), OffsetSpec.latest());
            for (Queued job : lane.getValue()) {
                Observation seenBefore = observations.get(job.id());
                if (seenBefore == null || seenBefore.version() != job.version()) {
                    observations.put(job.id(), new Observation(job.version(), ends));
                } else if (consumedPast(consumed, seenBefore.ends())) {
                    observations.remove(job.id());
                    if (sendAgain(job)) {
                        recoveries.resent();
                        log.info("job {} was queued with no message left on {}; sent again", job.id(), lane.getKey());
                        sent++;
                    }
                }
            }
        }
        return sent;
    }

    /**
     * Up to {@code perLane} queued, not held jobs of each lane with no outbox row, the oldest first: a backlog of one
     * lane (thousands of async jobs, say) never keeps another lane's jobs from being looked at.
     */
    static List<Queued> queuedWithoutMessageInOutbox(JdbcClient jdbc, int perLane) {
        // each lane's oldest by when it joined the queue: the queue index (lane, held, queued_at) gives them in order
        return jdbc.sql("""
                        select q.id, q.lane, q.version, q.traceparent
                        from unnest(cast(:lanes as text[])) as l(lane)
                        cross join lateral (
                            select j.id, j.lane, j.version, j.traceparent from transcription_jobs j
                            where j.lane = l.lane and j.state = %s and not j.held
                                and not exists (select 1 from outbox o where o.message_key = j.id::text)
                            order by j.queued_at
                            limit :limit
                        ) q
                        """.formatted(JobState.QUEUED.sql()))
                .param("lanes", Arrays.stream(Lane.values()).map(Lane::name).toArray(String[]::new))
                .param("limit", perLane)
                .query((rs, n) -> new Queued(
                        rs.getObject(1, UUID.class), Lane.valueOf(rs.getString(2)), rs.getLong(3), rs.getString(4)))
                .list();
    }

    /** Sends the job's message again, unless it changed since it was observed. */
    private boolean sendAgain(Queued job) {
        Boolean sent = transactions.execute(status -> {
            int updated = jdbc.sql("""
                            update transcription_jobs set version = version + 1
                            where id = :id and version = :version and state = %s and not held
                            """.formatted(JobState.QUEUED.sql()))
                    .param("id", job.id())
                    .param("version", job.version())
                    .update();
            if (updated == 1) {
                outbox.add(
                        job.lane().topic(),
                        job.id().toString(),
                        new JobSubmitted(new JobId(job.id())),
                        job.traceparent());
            }
            return updated == 1;
        });
        return Boolean.TRUE.equals(sent);
    }

    private static boolean consumedPast(Map<TopicPartition, Long> consumed, Map<TopicPartition, Long> ends) {
        return ends.entrySet().stream().allMatch(end -> consumed.getOrDefault(end.getKey(), 0L) >= end.getValue());
    }

    /** How far the lane's group got on each partition: its committed offset, or the partition's first offset. */
    private Map<TopicPartition, Long> consumed(Lane lane) throws Exception {
        Map<TopicPartition, Long> consumed = new HashMap<>(offsets(lane, OffsetSpec.earliest()));
        Map<TopicPartition, OffsetAndMetadata> committed = admin().listConsumerGroupOffsets(
                        JobSubmittedListener.group(lane))
                .partitionsToOffsetAndMetadata()
                .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        committed.forEach((partition, offset) -> {
            if (offset != null) {
                consumed.merge(partition, offset.offset(), Math::max);
            }
        });
        return consumed;
    }

    private Map<TopicPartition, Long> offsets(Lane lane, OffsetSpec spec) throws Exception {
        int partitions = admin().describeTopics(List.of(lane.topic()))
                .allTopicNames()
                .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .get(lane.topic())
                .partitions()
                .size();
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(lane.topic(), p), spec);
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin().listOffsets(request)
                .all()
                .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(kafkaAdmin.getConfigurationProperties());
        }
        return admin;
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(5));
        }
    }
}
