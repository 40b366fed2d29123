package dev.transcriber.standalone.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local broker is sized for one machine's clients. Its log cleaner, which keeps a heap array of its key-map size
 * for the life of the broker, runs with a small map: with Kafka's default (128 MiB) the local mode's JVM held an
 * eighth of the benchmarks' 1 GiB heap for a few hundred offsets. The cleaner still runs, so the broker's compacted
 * topics are still compacted.
 */
class LocalKafkaTest {

    @Test
    void theLogCleanerRunsWithASmallKeyMap(@TempDir Path dir) throws Exception {
        try (LocalKafka kafka = LocalKafka.start(dir, FreePorts.pick(), FreePorts.pick());
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
            Config config = admin.describeConfigs(List.of(broker)).all().get().get(broker);

            assertThat(Long.parseLong(
                            config.get("log.cleaner.dedupe.buffer.size").value()))
                    .isEqualTo(LocalKafka.DEDUPE_BUFFER_BYTES)
                    .isEqualTo(8L * 1024 * 1024);
            // the broker runs in this JVM: its cleaner's thread started with the small map
            assertThat(Thread.getAllStackTraces().keySet())
                    .filteredOn(Thread::isAlive)
                    .extracting(Thread::getName)
                    .anyMatch(name -> name.startsWith("kafka-log-cleaner-thread"));
        }
    }
}
