package dev.transcriber.standalone.flow;

import dev.transcriber.standalone.support.TestSystem;

/** The flow on Kafka, PostgreSQL and S3 servers that the build starts in this JVM (no Docker needed). */
class EmbeddedInfrastructureFlowTest extends SyncTranscriptionFlowContract {

    @Override
    TestSystem system() {
        return TestSystem.embedded();
    }
}
