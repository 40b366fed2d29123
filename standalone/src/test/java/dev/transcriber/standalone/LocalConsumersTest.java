package dev.transcriber.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The local mode's worker runs one Kafka consumer per lane, unless TRANSCRIBER_WORKER_CONSUMERS chooses. */
class LocalConsumersTest {

    @Test
    void theLocalWorkerRunsOneConsumerPerLane() {
        assertThat(Standalone.localConsumers(Map.of())).containsExactly("--transcriber.worker.consumers=1");
    }

    @Test
    void theEnvironmentsChoiceIsLeftToIt() {
        assertThat(Standalone.localConsumers(Map.of("TRANSCRIBER_WORKER_CONSUMERS", "2")))
                .isEmpty();
    }
}
