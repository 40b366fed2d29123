package dev.transcriber.common.events;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Stream;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.kafka.config.ContainerCustomizer;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.support.TopicPartitionOffset;

/**
 * Every Kafka listener's consumer polls on a platform thread of its own, {@code kafka-<group or topic>-<n>}, instead
 * of the virtual thread Spring Boot gives it when virtual threads are on. A consumer spends its life waiting on its
 * broker connection (a fetch the broker holds until a record arrives, or for {@code fetch.max.wait.ms}). On JDK 25,
 * what this runs on, a virtual thread's wait in a selector goes through the JDK's poller: every wake-up is the
 * poller thread's, then a carrier's, then the consumer's own select again; a platform thread is woken by the socket
 * itself. A process has a fixed handful of consumers (not one per request), as it has a fixed handful of platform
 * threads for its wake-ups ({@code Doorbell}). What a listener hands on (a job's claim and run, the answer to a held
 * request) still runs on virtual threads.
 */
@Configuration(proxyBeanMethods = false)
public class ConsumerThreads {

    /** Applied by Spring Boot to each listener container as it is created, before it starts. */
    @Bean
    ContainerCustomizer<Object, Object, ConcurrentMessageListenerContainer<Object, Object>> platformConsumerThreads() {
        return container -> {
            ContainerProperties properties = container.getContainerProperties();
            SimpleAsyncTaskExecutor threads = new SimpleAsyncTaskExecutor("kafka-" + name(properties) + "-");
            threads.setDaemon(true); // as a virtual thread is: a consumer left running never keeps the JVM up
            properties.setListenerTaskExecutor(threads);
        };
    }

    /** The consumer's group, or, for a consumer without one, the first topic it reads. */
    private static String name(ContainerProperties properties) {
        if (properties.getGroupId() != null) {
            return properties.getGroupId();
        }
        Stream<String> topics = properties.getTopicPartitions() != null
                ? Arrays.stream(properties.getTopicPartitions()).map(TopicPartitionOffset::getTopic)
                : properties.getTopics() != null ? Arrays.stream(properties.getTopics()) : Stream.empty();
        return topics.filter(Objects::nonNull).findFirst().orElse("consumer");
    }
}
