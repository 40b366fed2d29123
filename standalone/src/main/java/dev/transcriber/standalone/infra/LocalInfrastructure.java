package dev.transcriber.standalone.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.FileSystemUtils;

/** Kafka, PostgreSQL and the object store, started together under one data folder and stopped in reverse order. */
public final class LocalInfrastructure implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalInfrastructure.class);
    /** The local S3 server's credentials (it listens on loopback only). */
    public static final String S3_ACCESS_KEY = "transcriber";

    public static final String S3_SECRET_KEY = "transcriber-secret";

    private final Path home;
    private final Ports ports;
    private LocalPostgres postgres;
    private volatile LocalKafka kafka;
    private volatile LocalObjectStore objectStore;
    private boolean throwaway;
    /** Closes this infrastructure if its JVM ends without closing it ({@link #stopAtExit()}). */
    private Thread stopAtExit;

    private boolean closed; // guarded by this (close is synchronized)

    private LocalInfrastructure(
            Path home, Ports ports, LocalPostgres postgres, LocalKafka kafka, LocalObjectStore objectStore) {
        this.home = home;
        this.ports = ports;
        this.postgres = postgres;
        this.kafka = kafka;
        this.objectStore = objectStore;
    }

    public record Ports(int postgres, int kafka, int kafkaController, int objectStore) {

        public static Ports free() {
            return new Ports(FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick());
        }
    }

    /** The data folder: PostgreSQL's cluster, Kafka's log and the stored objects. */
    public Path home() {
        return home;
    }

    /**
     * As {@link #start}, under a new folder in the temporary directory that {@link #close()} removes with everything
     * in it once the servers have stopped: for tests and benchmarks, whose data has no use after them.
     */
    public static LocalInfrastructure throwaway(String prefix, Ports ports) throws Exception {
        Path home = Files.createTempDirectory(prefix);
        try {
            LocalInfrastructure infra = start(home, ports);
            infra.throwaway = true;
            return infra;
        } catch (Exception e) {
            removeQuietly(home);
            throw e;
        }
    }

    public static LocalInfrastructure start(Path home, Ports ports) throws Exception {
        long started = System.nanoTime();
        LocalPostgres postgres = LocalPostgres.start(home.resolve("postgres"), ports.postgres());
        log.info("postgres up after {} ms", (System.nanoTime() - started) / 1_000_000);
        LocalKafka kafka = null;
        try {
            kafka = LocalKafka.start(home.resolve("kafka"), ports.kafka(), ports.kafkaController());
            log.info("kafka up after {} ms", (System.nanoTime() - started) / 1_000_000);
            LocalObjectStore store = startObjectStore(home, ports);
            log.info(
                    "local infrastructure up in {} ms: postgres {} (fsync={}), kafka {}, s3 {}",
                    (System.nanoTime() - started) / 1_000_000,
                    postgres.jdbcUrl(),
                    postgres.setting("fsync"),
                    kafka.bootstrapServers(),
                    store.endpoint());
            return new LocalInfrastructure(home, ports, postgres, kafka, store);
        } catch (Exception e) {
            if (kafka != null) {
                kafka.close();
            }
            postgres.close();
            throw e;
        }
    }

    public LocalPostgres postgres() {
        return postgres;
    }

    public LocalKafka kafka() {
        return kafka;
    }

    /** Stops the broker (as an outage would); {@link #startKafka()} brings it back on the same ports and data. */
    public void stopKafka() {
        kafka.close();
    }

    public void startKafka() throws IOException {
        kafka = LocalKafka.start(home.resolve("kafka"), ports.kafka(), ports.kafkaController());
    }

    /** Stops PostgreSQL (as an outage would); {@link #startPostgres()} brings it back on the same port and data. */
    public void stopPostgres() throws IOException {
        postgres.close();
    }

    public void startPostgres() throws IOException {
        postgres = LocalPostgres.start(home.resolve("postgres"), ports.postgres());
    }

    public LocalObjectStore objectStore() {
        return objectStore;
    }

    /** Stops the object store (as an outage would); {@link #startObjectStore()} brings it back with the same data. */
    public void stopObjectStore() throws Exception {
        objectStore.close();
    }

    public void startObjectStore() throws Exception {
        objectStore = startObjectStore(home, ports);
    }

    private static LocalObjectStore startObjectStore(Path home, Ports ports) throws Exception {
        return LocalObjectStore.start(home.resolve("objects"), ports.objectStore(), S3_ACCESS_KEY, S3_SECRET_KEY);
    }

    /**
     * Stops or starts one server by name ({@code postgres}, {@code kafka}, {@code s3}): what {@code ./run.sh stop
     * postgres} asks of a running {@code ./run.sh infra} (see {@link InfraControl}).
     */
    public void control(String action, String server) throws Exception {
        boolean stop = switch (action) {
            case "stop" -> true;
            case "start" -> false;
            default -> throw new IllegalArgumentException("unknown action " + action + " (stop or start)");
        };
        switch (server) {
            case "postgres" -> {
                if (stop) stopPostgres();
                else startPostgres();
            }
            case "kafka" -> {
                if (stop) stopKafka();
                else startKafka();
            }
            case "s3" -> {
                if (stop) stopObjectStore();
                else startObjectStore();
            }
            default -> throw new IllegalArgumentException("unknown server " + server + " (postgres, kafka or s3)");
        }
        log.info("{} {}", server, stop ? "stopped" : "started");
    }

    /** Command-line style properties that point a service at this infrastructure. */
    public List<String> serviceArguments() {
        List<String> args = new ArrayList<>();
        args.add("--spring.datasource.url=" + postgres.jdbcUrl());
        args.add("--spring.datasource.username=" + postgres.user());
        args.add("--spring.datasource.password=" + postgres.password());
        args.add("--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers());
        args.add("--transcriber.storage.endpoint=" + objectStore.endpoint());
        args.add("--transcriber.storage.access-key=" + objectStore.accessKey());
        args.add("--transcriber.storage.secret-key=" + objectStore.secretKey());
        return args;
    }

    /**
     * Closes this infrastructure as the JVM exits, unless it was closed before: for a process that holds it until it
     * is stopped by a signal (a benchmark ended with Ctrl-C or {@code kill}), whose PostgreSQL, a process of its own,
     * would otherwise outlive it with its data. Not for an owner that closes it in a shutdown hook of its own (shutdown
     * hooks run in no order, and the servers would go from under the services still stopping). A signal while the
     * servers are still starting, before this is called, is not covered.
     */
    public synchronized LocalInfrastructure stopAtExit() {
        if (stopAtExit == null) {
            stopAtExit = new Thread(this::closeAtExit, "transcriber-infra-stop");
            Runtime.getRuntime().addShutdownHook(stopAtExit);
        }
        return this;
    }

    private void closeAtExit() {
        try {
            close();
        } catch (Exception e) {
            log.warn("stopping the local infrastructure at exit failed: {}", e.toString());
        }
    }

    /**
     * Stops the servers (and removes a throwaway folder). A second call, at once or from the exit hook while the first
     * is still stopping them, waits for the first and does nothing more; the exit hook stays registered until the
     * servers have stopped, so a signal in the middle of a close still ends with them stopped.
     */
    @Override
    public synchronized void close() throws Exception {
        if (closed) {
            return; // closed already (by its owner, or at exit)
        }
        closed = true;
        boolean stopped = closeQuietly(objectStore);
        stopped &= closeQuietly(kafka);
        stopped &= closeQuietly(postgres);
        if (throwaway && stopped) {
            removeQuietly(home);
        } else if (throwaway) {
            log.warn("{} stays: a server did not stop cleanly and may still use it", home);
        }
        if (stopAtExit != null && Thread.currentThread() != stopAtExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(stopAtExit);
            } catch (IllegalStateException exiting) {
                // the JVM is exiting: the hook finds this closed and returns
            }
        }
    }

    private static void removeQuietly(Path folder) {
        try {
            FileSystemUtils.deleteRecursively(folder);
        } catch (IOException e) {
            log.warn("removing {} failed: {}", folder, e.toString());
        }
    }

    /** Whether {@code closeable} stopped without an error. */
    private static boolean closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
            return true;
        } catch (Exception e) {
            log.warn("stopping {} failed: {}", closeable.getClass().getSimpleName(), e.toString());
            return false;
        }
    }
}
