package dev.transcriber.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.web.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local mode's generated keys: strong, and in files only their owner can read. */
class LocalSecretsTest {

    private static final String UNSET = "TRANSCRIBER_TEST_VARIABLE_NEVER_SET";

    @Test
    void aGeneratedKeyIsStrongAndItsFileIsTheOwnersAlone(@TempDir Path home) throws Exception {
        String key = Standalone.localSecret(home, UNSET, "api-key", "sk-local-");

        Secrets.requireStrong("the generated key", key);
        Path file = home.resolve("api-key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(Standalone.localSecret(home, UNSET, "api-key", "sk-local-")).isEqualTo(key);
    }

    @Test
    void aLoneApiAndWorkerStartedTogetherOnAFreshHomeShareOneSecret(@TempDir Path parent) throws Exception {
        // ./run.sh api and ./run.sh worker started at once: both found no admin-token file and both wrote one; the
        // second's start failed (FileAlreadyExistsException), or read the file before the first had written it
        for (int round = 0; round < 100; round++) {
            Path home = Files.createDirectory(parent.resolve("home-" + round));
            CyclicBarrier together = new CyclicBarrier(2);
            Callable<String> start = () -> {
                together.await();
                return Standalone.localSecret(home, UNSET, "admin-token", "admin-");
            };
            try (ExecutorService processes = Executors.newFixedThreadPool(2)) {
                Future<String> api = processes.submit(start);
                Future<String> worker = processes.submit(start);

                assertThat(api.get()).isEqualTo(worker.get()).startsWith("admin-");
            }
            Secrets.requireStrong(
                    "the shared token",
                    Files.readString(home.resolve("admin-token")).trim());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("admin-token"))))
                    .isEqualTo("rw-------");
            try (var left = Files.list(home)) {
                assertThat(left).as("nothing but the secret's file is left").hasSize(1);
            }
        }
    }

    @Test
    void twoWritesOfTheSameSecretFileAtOnceShareTheFirst(@TempDir Path parent) throws Exception {
        for (int round = 0; round < 100; round++) {
            Path file = parent.resolve("admin-token-" + round);
            CyclicBarrier together = new CyclicBarrier(2);
            try (ExecutorService processes = Executors.newFixedThreadPool(2)) {
                Future<String> first = processes.submit(() -> {
                    together.await();
                    return Standalone.writeSecret(file, "admin-first-" + "a".repeat(40));
                });
                Future<String> second = processes.submit(() -> {
                    together.await();
                    return Standalone.writeSecret(file, "admin-second-" + "b".repeat(40));
                });

                assertThat(first.get()).isEqualTo(second.get());
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void aKeyFileLeftReadableByOthersIsMadeOwnerOnly(@TempDir Path home) throws Exception {
        Path file = home.resolve("admin-token");
        Files.writeString(file, "admin-0681c308d6fddeb14fff392ace15a6b8f6c2de27c021f176\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(Standalone.localSecret(home, UNSET, "admin-token", "admin-"))
                .isEqualTo("admin-0681c308d6fddeb14fff392ace15a6b8f6c2de27c021f176");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }
}
