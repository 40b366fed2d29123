package dev.transcriber.standalone.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md is what {@link ConfigurationDocs} renders from the configuration metadata and the yml files,
 * so a setting added, renamed or given another default cannot leave the document behind. With
 * {@code -Dconfig.docs.write=true} (what {@code ./scripts/config-docs.sh} passes) the test writes the file instead.
 */
class ConfigurationDocsTest {

    private static final Path FILE = ConfigurationDocs.repositoryRoot().resolve(ConfigurationDocs.PATH);

    @Test
    void configurationDocumentIsWhatTheMetadataGenerates() throws IOException {
        String generated = ConfigurationDocs.render();
        if (Boolean.getBoolean("config.docs.write")) {
            Files.writeString(FILE, generated, StandardCharsets.UTF_8);
        }
        String onDisk = Files.exists(FILE) ? Files.readString(FILE, StandardCharsets.UTF_8) : "";
        assertThat(onDisk)
                .as(ConfigurationDocs.PATH + " is out of date with the @ConfigurationProperties metadata and the yml"
                        + " files. Regenerate it with " + ConfigurationDocs.REGENERATE + " (or: mvn -B -pl standalone"
                        + " -am test -Dtest=ConfigurationDocsTest -Dsurefire.failIfNoSpecifiedTests=false"
                        + " -Dconfig.docs.write=true) and commit the result")
                .isEqualTo(generated);
    }

    @Test
    void everySettingOfTheServicesIsDocumentedWithADescription() {
        String generated = ConfigurationDocs.render();
        assertThat(generated)
                .contains("| `transcriber.worker.max-in-flight` | `Integer` | `64` | `WORKER_MAX_IN_FLIGHT` |")
                .contains("| `transcriber.api.drain` | `Duration` | `30s` | `TRANSCRIBER_API_DRAIN` |")
                .contains("| `transcriber.upstream.retry.max-attempts` | `Integer` | `4` |  |")
                .contains("| `spring.datasource.hikari.connection-timeout` | both | `3000` | "
                        + "`DATABASE_CONNECTION_TIMEOUT_MS` |")
                .contains("| `server.port` | api-service | `8080` | `PORT` |")
                .contains("| `server.port` | worker-service | `8081` | `WORKER_PORT` |");
        for (var module : ConfigurationDocs.projectProperties().values()) {
            for (var property : module.values()) {
                assertThat(property.description())
                        .as(property.name() + ": a record component without @param javadoc, or a @Value setting"
                                + " missing from additional-spring-configuration-metadata.json")
                        .isNotBlank();
            }
        }
    }
}
