package dev.transcriber.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.storage.StorageProperties;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

/**
 * The services' shared settings carry no credential of their own: a deployment that forgets {@code DATABASE_PASSWORD}
 * or {@code S3_SECRET_KEY} does not log in with a well-known one. Local mode passes its servers' credentials itself.
 */
class NoBuiltInCredentialsTest {

    @Test
    void theDatabasePasswordHasNoBuiltInValue() throws IOException {
        assertThat(sharedSettings().getProperty("spring.datasource.password")).isEmpty();
    }

    @Test
    void aStoreWithoutItsSecretKeyStopsTheStartNamingTheVariable() throws IOException {
        Binder binder = Binder.get(sharedSettings());

        assertThatThrownBy(() -> binder.bind("transcriber.storage", StorageProperties.class))
                .isInstanceOf(BindException.class)
                .rootCause()
                .hasMessageContaining("S3_SECRET_KEY")
                .hasMessageContaining("transcriber.storage.secret-key");
    }

    @Test
    void aStoreWithItsSecretKeyBinds() throws IOException {
        StandardEnvironment settings = sharedSettings();
        settings.getPropertySources()
                .addFirst(new MapPropertySource("operator", Map.of("S3_SECRET_KEY", "a-secret-of-the-operators")));

        StorageProperties storage = Binder.get(settings)
                .bind("transcriber.storage", StorageProperties.class)
                .get();

        assertThat(storage.secretKey()).isEqualTo("a-secret-of-the-operators");
    }

    /** transcriber-common.yml over an environment that sets none of its variables. */
    private static StandardEnvironment sharedSettings() throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        new YamlPropertySourceLoader()
                .load("transcriber-common", new ClassPathResource("transcriber-common.yml"))
                .forEach(environment.getPropertySources()::addLast);
        return environment;
    }
}
