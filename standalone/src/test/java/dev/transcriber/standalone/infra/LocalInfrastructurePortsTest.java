package dev.transcriber.standalone.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local mode never reuses a server it did not start: a PostgreSQL left on its own data folder by a killed run is
 * stopped and replaced, and a port held by anything else is refused with a message naming the port and its setting
 * (it used to connect to whatever listened there, such as another folder's database).
 */
class LocalInfrastructurePortsTest {

    @Test
    void aPostgresLeftByAKilledRunOnTheSameFolderIsReplaced(@TempDir Path home) throws Exception {
        int port = FreePorts.pick();
        Process earlier = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        OrphanPostgres.class.getName(),
                        home.resolve("postgres").toString(),
                        String.valueOf(port))
                .redirectErrorStream(true)
                .start();
        try (var output = new java.io.BufferedReader(new java.io.InputStreamReader(earlier.getInputStream()))) {
            String line;
            while ((line = output.readLine()) != null && !line.equals("ready")) {
                // the earlier run's start-up log
            }
        }
        earlier.destroyForcibly().waitFor(); // kill -9: its PostgreSQL, a process of its own, lives on
        long orphan = postmasterPid(home);
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).contains(true);

        try (LocalPostgres again = LocalPostgres.start(home.resolve("postgres"), port)) {
            assertThat(postmasterPid(home)).isNotEqualTo(orphan);
            assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                    .isFalse();
            assertThat(again.setting("max_connections")).isEqualTo("300");
        }
    }

    @Test
    void aPortHeldByAnotherProcessIsRefusedByName(@TempDir Path home) throws Exception {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int taken = other.getLocalPort();
            assertThatThrownBy(() -> LocalPostgres.start(home.resolve("postgres"), taken))
                    .hasMessageContaining("Port " + taken)
                    .hasMessageContaining("POSTGRES_PORT");
            assertThatThrownBy(() -> LocalObjectStore.start(home.resolve("objects"), taken, "a", "b"))
                    .hasMessageContaining("S3_PORT");
            assertThatThrownBy(() -> LocalKafka.start(home.resolve("kafka"), taken, FreePorts.pick()))
                    .hasMessageContaining("KAFKA_PORT");
        }
    }

    private static long postmasterPid(Path home) throws Exception {
        return Long.parseLong(Files.readAllLines(home.resolve("postgres").resolve("postmaster.pid"))
                .getFirst()
                .trim());
    }
}
