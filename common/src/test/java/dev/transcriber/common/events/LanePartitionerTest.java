package dev.transcriber.common.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

class LanePartitionerTest {

    private static final Node BROKER = new Node(1, "127.0.0.1", 9092);

    private final LanePartitioner partitioner = new LanePartitioner();

    @Test
    void everyLaneIsDealtInTurnWhateverTheKeys() {
        for (Lane lane : Lane.values()) {
            Cluster cluster = cluster(lane.topic(), 12, Set.of());
            Map<Integer, Long> perPartition = IntStream.range(0, 120)
                    .mapToObj(i -> partition(lane.topic(), UUID.randomUUID().toString(), cluster))
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(perPartition)
                    .as(lane.name())
                    .hasSize(12)
                    .allSatisfy((partition, count) -> assertThat(count).isEqualTo(10));
        }
    }

    @Test
    void aLaneSkipsAPartitionWithoutALeader() {
        Cluster cluster = cluster(Lane.ASYNC.topic(), 4, Set.of(2));
        Set<Integer> used = IntStream.range(0, 30)
                .mapToObj(i -> partition(Lane.ASYNC.topic(), UUID.randomUUID().toString(), cluster))
                .collect(Collectors.toSet());
        assertThat(used).containsExactlyInAnyOrder(0, 1, 3);
    }

    @Test
    void otherTopicsArePartitionedByKeyAsKafkaDoesByDefault() {
        Cluster cluster = cluster(Topics.FINISHED, Topics.EVENT_PARTITIONS, Set.of());
        for (int i = 0; i < 50; i++) {
            String key = UUID.randomUUID().toString();
            int expected =
                    BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), Topics.EVENT_PARTITIONS);
            assertThat(partition(Topics.FINISHED, key, cluster)).isEqualTo(expected);
            assertThat(partition(Topics.FINISHED, key, cluster)).isEqualTo(expected);
        }
    }

    private int partition(String topic, String key, Cluster cluster) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        return partitioner.partition(topic, key, keyBytes, "{}", new byte[] {'{', '}'}, cluster);
    }

    private static Cluster cluster(String topic, int partitions, Set<Integer> withoutLeader) {
        List<PartitionInfo> infos = IntStream.range(0, partitions)
                .mapToObj(p -> new PartitionInfo(
                        topic, p, withoutLeader.contains(p) ? null : BROKER, new Node[] {BROKER}, new Node[] {BROKER}))
                .toList();
        return new Cluster("test", List.of(BROKER), infos, Set.of(), Set.of());
    }
}
