package dev.transcriber.standalone.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./run.sh stop|start postgres|kafka|s3} against a running {@code ./run.sh infra}: a request file in the
 * home's control folder stops or starts that one server, answered with a {@code .done} file. PostgreSQL comes back
 * as the infrastructure started it, with its own settings, also when run as root.
 */
class InfraControlTest {

    @Test
    void stopsAndStartsOneServerOnRequest(@TempDir Path home) throws Exception {
        LocalInfrastructure.Ports ports = LocalInfrastructure.Ports.free();
        try (LocalInfrastructure infra = LocalInfrastructure.start(home, ports);
                InfraControl control = InfraControl.start(home, infra)) {
            Path folder = home.resolve("control");

            request(folder, "stop-postgres");
            assertThat(listening(ports.postgres())).isFalse();
            assertThat(listening(ports.objectStore())).isTrue();
            request(folder, "start-postgres");
            assertThat(infra.postgres().setting("max_connections")).isEqualTo("300");

            request(folder, "stop-s3");
            assertThat(listening(ports.objectStore())).isFalse();
            request(folder, "start-s3");
            assertThat(listening(ports.objectStore())).isTrue();

            Files.createFile(folder.resolve("stop-everything")); // not a request it knows: ignored
            request(folder, "stop-kafka");
            assertThat(Files.exists(folder.resolve("stop-everything.done"))).isFalse();
            assertThat(listening(ports.postgres())).isTrue();
        }
    }

    private static void request(Path folder, String name) throws IOException {
        Files.createFile(folder.resolve(name));
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(folder.resolve(name + ".done")));
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
