package dev.transcriber.standalone.flow;

import dev.transcriber.standalone.support.TestSystem;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The same flow against the docker-compose images; runs only where a Docker engine is available. */
@Testcontainers(disabledWithoutDocker = true)
class ContainersFlowTest extends SyncTranscriptionFlowContract {

    @Override
    TestSystem system() {
        return TestSystem.containers();
    }
}
