package dev.transcriber.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.web.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
