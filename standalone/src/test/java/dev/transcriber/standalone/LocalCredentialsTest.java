package dev.transcriber.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A lone api or worker of the split local mode logs in to {@code ./run.sh infra}'s servers with their credentials,
 * which the services' own settings no longer carry; credentials the environment sets are left to it.
 */
class LocalCredentialsTest {

    @Test
    void aLoneServiceIsGivenTheLocalServersCredentials() {
        assertThat(Standalone.localCredentials(Map.of()))
                .containsExactly(
                        "--spring.datasource.password=postgres", "--transcriber.storage.secret-key=transcriber-secret");
    }

    @Test
    void credentialsTheEnvironmentSetsAreLeftToIt() {
        assertThat(Standalone.localCredentials(Map.of("DATABASE_PASSWORD", "p", "S3_SECRET_KEY", "s")))
                .isEmpty();
        assertThat(Standalone.localCredentials(Map.of("S3_SECRET_KEY", "s")))
                .containsExactly("--spring.datasource.password=postgres");
    }
}
