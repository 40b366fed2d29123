package dev.transcriber.standalone.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The worker slice fixture leaves no database behind, even when its Spring context fails to start. */
class WorkerSliceTest {

    @Test
    void aSliceWhoseContextFailsToStartDropsTheDatabaseItMade() {
        assertThatThrownBy(() -> WorkerSlice.start(NeverStarts.class, Refusing.class))
                .hasStackTraceContaining("this component refuses to start");

        try (SliceInfrastructure.Database probe = SliceInfrastructure.database("probe")) {
            assertThat(probe.jdbc()
                            .sql("select datname from pg_database where datname like 'neverstarts\\_%'")
                            .query(String.class)
                            .list())
                    .as("databases made for the slice that never started")
                    .isEmpty();
        }
    }

    /** Names the slice's database. */
    private static final class NeverStarts {}

    /** A component whose construction fails, and with it the slice's context. */
    static final class Refusing {

        Refusing() {
            throw new IllegalStateException("this component refuses to start");
        }
    }
}
