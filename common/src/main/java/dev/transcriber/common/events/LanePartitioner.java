package dev.transcriber.common.events;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.PartitionInfo;

/**
 * Deals the {@link JobSubmitted} messages of the lanes' topics over their partitions in turn, so a backlog is split
 * evenly between the workers that read it; every other topic is partitioned by key, as Kafka's default does.
 *
 * <p>Why: a worker takes jobs only from the partitions assigned to it, and a job waiting on one worker's partition
 * cannot be run by another that has run dry. Partitioned by job id (a hash), each job lands on a worker at random:
 * 384 queued jobs over 4 workers came out as 121, 100, 85 and 78 in {@code bench/scale-out.sh}, and the whole
 * backlog took as long as its busiest worker needed for its 121. Dealt in turn, each partition gets the same share
 * of what a producer sends. Nothing depends on a job message's partition: a claim is a conditional update, so two
 * messages for one job (sent again by the sweeper) are safe on any partitions.
 *
 * <p>The turn starts at a random partition in each process, so that producers that each send a few messages do not
 * all start on partition 0.
 */
public final class LanePartitioner implements Partitioner {

    private static final Set<String> LANE_TOPICS =
            EnumSet.allOf(Lane.class).stream().map(Lane::topic).collect(Collectors.toUnmodifiableSet());

    private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        List<PartitionInfo> partitions = cluster.partitionsForTopic(topic);
        if (keyBytes != null && !LANE_TOPICS.contains(topic)) {
            return BuiltInPartitioner.partitionForKey(keyBytes, partitions.size());
        }
        int turn = turns.computeIfAbsent(
                        topic,
                        t -> new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16)))
                .getAndIncrement();
        List<PartitionInfo> available = cluster.availablePartitionsForTopic(topic);
        List<PartitionInfo> candidates = available.isEmpty() ? partitions : available;
        return candidates.get(Math.floorMod(turn, candidates.size())).partition();
    }

    @Override
    public void close() {}
}
