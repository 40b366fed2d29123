package dev.transcriber.standalone.infra;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real Kafka broker in KRaft mode (broker and controller in one node), run in this JVM from the Kafka server jars.
 * Its log directory is formatted once and kept, so queued messages survive a restart.
 */
public final class LocalKafka implements AutoCloseable {

    /** The log cleaner's key map (see {@link #start}). */
    static final long DEDUPE_BUFFER_BYTES = 8L * 1024 * 1024;

    private final KafkaRaftServer server;
    private final int port;

    private LocalKafka(KafkaRaftServer server, int port) {
        this.server = server;
        this.port = port;
    }

    public static LocalKafka start(Path dir, int port, int controllerPort) throws IOException {
        FreePorts.requireFree(port, "Kafka broker", "KAFKA_PORT");
        FreePorts.requireFree(controllerPort, "Kafka controller", "KAFKA_CONTROLLER_PORT");
        Path logs = dir.resolve("data");
        Files.createDirectories(logs);
        Properties config = new Properties();
        config.setProperty("process.roles", "broker,controller");
        config.setProperty("node.id", "1");
        config.setProperty("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        config.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        config.setProperty("controller.listener.names", "CONTROLLER");
        config.setProperty("inter.broker.listener.name", "PLAINTEXT");
        config.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.setProperty("log.dirs", logs.toString());
        config.setProperty("num.partitions", "1");
        config.setProperty("offsets.topic.replication.factor", "1");
        config.setProperty("offsets.topic.num.partitions", "5");
        config.setProperty("transaction.state.log.replication.factor", "1");
        config.setProperty("transaction.state.log.min.isr", "1");
        config.setProperty("share.coordinator.state.topic.replication.factor", "1");
        config.setProperty("share.coordinator.state.topic.min.isr", "1");
        config.setProperty("group.initial.rebalance.delay.ms", "0");
        config.setProperty("auto.create.topics.enable", "true");
        // The controller appends a no-op record to the metadata log this often while nothing else changes (Kafka's
        // default is 500 ms: two log appends and flushes a second at rest). One broker and one controller in one
        // process have no lagging follower for it to reveal.
        config.setProperty("metadata.max.idle.interval.ms", "5000");
        // Thread counts for one machine's clients, not a cluster's: each of these threads wakes on its own timer at
        // rest (a network thread's select and a request handler's queue poll every 300 ms, a group coordinator's
        // event loop). Kafka's defaults (3 network threads per listener, 8 request handlers, 10 background threads,
        // 4 group coordinator threads) are sized for a server of its own.
        config.setProperty("num.network.threads", "1");
        config.setProperty("num.io.threads", "2");
        config.setProperty("background.threads", "2");
        config.setProperty("group.coordinator.threads", "1");
        // The log cleaner, which compacts the broker's own compacted topics (the consumers' offsets, the share groups'
        // state), keeps its key map in one heap array of this size for as long as the broker runs. Kafka's default
        // (128 MiB) is sized for a cluster's partitions; here it was an eighth of the benchmarks' 1 GiB heap, live
        // for a few hundred offsets. 8 MiB maps about 300,000 keys per pass, far more than a local broker's offsets
        // topic holds (and Kafka requires more than 1 MiB per cleaner thread).
        config.setProperty("log.cleaner.dedupe.buffer.size", String.valueOf(DEDUPE_BUFFER_BYTES));
        Path file = dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            config.store(out, "written by the transcriber's local mode");
        }
        if (!Files.exists(logs.resolve("meta.properties"))) {
            format(file);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
        server.startup();
        return new LocalKafka(server, port);
    }

    private static void format(Path configFile) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status = StorageTool.execute(
                new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", configFile.toString(), "--standalone"
                },
                new PrintStream(output, true, StandardCharsets.UTF_8));
        if (status != 0) {
            throw new IllegalStateException(
                    "formatting Kafka storage failed: " + output.toString(StandardCharsets.UTF_8));
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
