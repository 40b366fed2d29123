package dev.transcriber.standalone.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A test's system takes its data with it: the PostgreSQL cluster, the Kafka log and the stored objects of an isolated
 * system are removed once it is closed. They used to stay in the temporary folder, about 45 MB a system: a few dozen
 * full runs filled this machine's disk (35 GB of them, and 36 GB more from the benchmarks).
 */
class TestSystemCleanupTest {

    @Test
    void anIsolatedSystemLeavesNoDataBehindOnceClosed() throws Exception {
        Path home;
        try (TestSystem.Isolated isolated = TestSystem.isolated()) {
            home = isolated.infra().home();
            assertThat(home.resolve("postgres")).isDirectory();
            assertThat(home.resolve("kafka")).isDirectory();
            assertThat(home.resolve("objects")).isDirectory();
        }
        assertThat(home).doesNotExist();
    }
}
