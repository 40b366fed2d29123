package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.Topics;
import dev.transcriber.standalone.support.TestSystem;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Each Kafka listener's consumer loop runs on a daemon platform thread named after its group (or, without one, its
 * topic), not on a virtual thread: its waits on the broker are woken by the socket itself, not through the JDK's
 * poller and a carrier. The JVM's list of threads holds platform threads only, so a consumer on a virtual thread is
 * not in it.
 */
class ConsumerThreadsTest {

    private static final String CONSUMER_LOOP = "KafkaMessageListenerContainer$ListenerConsumer.run";

    @Test
    void everyListenersConsumerPollsOnAPlatformThreadNamedAfterWhatItReads() {
        TestSystem system = TestSystem.embedded();
        int perLane = system.worker().getEnvironment().getProperty("transcriber.worker.consumers", Integer.class, 2);

        List<Thread> consumerLoops = Thread.getAllStackTraces().entrySet().stream()
                .filter(thread -> Arrays.stream(thread.getValue())
                        .anyMatch(
                                frame -> (frame.getClassName() + "." + frame.getMethodName()).endsWith(CONSUMER_LOOP)))
                .map(Map.Entry::getKey)
                .toList();
        Map<String, List<String>> byName = consumerLoops.stream()
                .collect(Collectors.groupingBy(
                        thread -> thread.getName().replaceFirst("-\\d+$", ""),
                        Collectors.mapping(Thread::getName, Collectors.toList())));

        assertThat(consumerLoops)
                .allSatisfy(thread ->
                        assertThat(thread.isDaemon()).as(thread.getName()).isTrue());
        assertThat(byName)
                .containsKeys(
                        "kafka-workers",
                        "kafka-workers-async",
                        "kafka-workers-bulk",
                        "kafka-" + Topics.FINISHED,
                        "kafka-" + Topics.PROGRESS);
        assertThat(byName.get("kafka-workers"))
                .as("the interactive lane's consumers (at least: another test's system may run in this JVM too)")
                .hasSizeGreaterThanOrEqualTo(perLane);
    }
}
