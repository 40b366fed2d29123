package dev.transcriber.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.storage.StorageProperties;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

/**
 * A lone api or worker of the split local mode logs in to {@code ./run.sh infra}'s servers with their credentials,
 * which the services' own settings no longer carry, as the lowest source of all: whatever else names a credential (the
 * environment, the command line such as the arguments {@code ./run.sh infra} prints) wins, whole.
 */
class LocalCredentialsTest {

    @Test
    void aLoneServiceWithNothingElseSetLogsInWithTheLocalServersCredentials() throws IOException {
        StandardEnvironment settings = settings(Map.of());

        assertThat(settings.getProperty("spring.datasource.password")).isEqualTo("postgres");
        StorageProperties storage = storage(settings);
        assertThat(storage.accessKey()).isEqualTo("transcriber");
        assertThat(storage.secretKey()).isEqualTo("transcriber-secret");
    }

    @Test
    void theCommandLineWinsWholeNotJoinedToTheLocalValue() throws IOException {
        StandardEnvironment settings = settings(
                Map.of(),
                "--spring.datasource.password=from-the-line",
                "--transcriber.storage.secret-key=from-the-line");

        assertThat(settings.getProperty("spring.datasource.password")).isEqualTo("from-the-line");
        assertThat(storage(settings).secretKey()).isEqualTo("from-the-line");
    }

    @Test
    void theEnvironmentWins() throws IOException {
        StandardEnvironment settings =
                settings(Map.of("DATABASE_PASSWORD", "from-the-environment", "S3_SECRET_KEY", "from-the-environment"));

        assertThat(settings.getProperty("spring.datasource.password")).isEqualTo("from-the-environment");
        assertThat(storage(settings).secretKey()).isEqualTo("from-the-environment");
    }

    /** The sources in a service's order: command line, environment, the shared yml, then the default properties. */
    private static StandardEnvironment settings(Map<String, Object> environment, String... commandLine)
            throws IOException {
        StandardEnvironment settings = new StandardEnvironment();
        settings.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        settings.getPropertySources().addFirst(new MapPropertySource("environment", environment));
        settings.getPropertySources().addFirst(new SimpleCommandLinePropertySource(commandLine));
        new YamlPropertySourceLoader()
                .load("transcriber-common", new ClassPathResource("transcriber-common.yml"))
                .forEach(settings.getPropertySources()::addLast);
        settings.getPropertySources()
                .addLast(new MapPropertySource("defaultProperties", Standalone.localCredentials()));
        return settings;
    }

    private static StorageProperties storage(StandardEnvironment settings) {
        return Binder.get(settings)
                .bind("transcriber.storage", StorageProperties.class)
                .get();
    }
}
