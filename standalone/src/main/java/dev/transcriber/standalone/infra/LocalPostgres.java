package dev.transcriber.standalone.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server from the binaries on Maven Central. Unlike the library's defaults, fsync and synchronous
 * commit are on: the local mode keeps jobs across restarts.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPostgres.class);
    /** What a running server keeps in its data folder, and removes when it stops. */
    private static final String PID_FILE = "postmaster.pid";
    /** The local server's login (the embedded binaries' superuser; it listens on loopback only). */
    public static final String USER = "postgres";

    public static final String PASSWORD = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path dir;

    private LocalPostgres(EmbeddedPostgres postgres, Path dir) {
        this.postgres = postgres;
        this.dir = dir;
    }

    public static LocalPostgres start(Path dir, int port) throws IOException {
        Files.createDirectories(dir);
        stopOrphan(dir);
        FreePorts.requireFree(port, "PostgreSQL", "POSTGRES_PORT");
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setPort(port)
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("max_connections", "300")
                .setPGStartupWait(java.time.Duration.ofSeconds(120)) // crash recovery after a kill -9 takes a while
                .start();
        return new LocalPostgres(postgres, dir);
    }

    /**
     * SIGINT: PostgreSQL's fast shutdown, which disconnects its clients (the services of the killed run, still
     * connected) and stops cleanly. SIGTERM's smart shutdown would wait for them to go.
     */
    private static void fastShutdown(ProcessHandle postgres) throws IOException {
        try {
            int exit = new ProcessBuilder("kill", "-INT", String.valueOf(postgres.pid()))
                    .redirectErrorStream(true)
                    .start()
                    .waitFor();
            if (exit == 0) {
                return;
            }
        } catch (IOException e) {
            // no kill command here: fall back to SIGTERM
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping an earlier PostgreSQL", e);
        }
        postgres.destroy();
    }

    /**
     * A PostgreSQL left running on this data folder by an earlier run whose JVM was killed (the server is a process
     * of its own and outlives it) is stopped first, so this run starts its own server with its own settings.
     */
    static void stopOrphan(Path dir) throws IOException {
        Path pidFile = dir.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
        } catch (RuntimeException e) {
            return; // not a pid file PostgreSQL wrote; its own start will judge it
        }
        Optional<ProcessHandle> orphan = ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (orphan.isEmpty()) {
            return;
        }
        log.warn("stopping the PostgreSQL (pid {}) an earlier run left on {}", pid, dir);
        fastShutdown(orphan.get());
        try {
            orphan.get().onExit().get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            orphan.get().destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping an earlier PostgreSQL", e);
        } catch (ExecutionException e) {
            throw new IOException("could not stop an earlier PostgreSQL", e);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    public String user() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    /** A server setting as PostgreSQL reports it (to check durability settings took effect). */
    public String setting(String name) throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("show " + name)) {
            result.next();
            return result.getString(1);
        }
    }

    /**
     * Stops the server. The embedded library only logs when its stop times out; a server still running then (its
     * {@code postmaster.pid} still there) is an error here, so its data folder is not taken from under it.
     */
    @Override
    public void close() throws IOException {
        postgres.close();
        if (Files.exists(dir.resolve(PID_FILE))) {
            throw new IOException("PostgreSQL on " + dir + " did not stop");
        }
    }
}
