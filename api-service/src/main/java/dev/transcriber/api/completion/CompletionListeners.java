package dev.transcriber.api.completion;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ContainerPostProcessor;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties.AckMode;

/**
 * How the api reads {@code JobFinished} and {@code JobProgress}: every instance reads every partition, assigned by
 * number, from the end, with no consumer group. A restarted instance holds no requests, so it has no offsets to
 * keep, and the broker is left no group behind by a restart (a group per start used to pile up orphans). They wait
 * for an empty fetch as long as every consumer here (5 s), so stopping them can take that long; an api that begins to
 * close refuses new requests at once ({@link ClosingGate}), so that wait keeps no new work in.
 */
@Configuration(proxyBeanMethods = false)
class CompletionListeners {

    /**
     * Without a group there is nowhere to commit: the containers acknowledge manually, and these listeners never do
     * (the container then commits nothing).
     */
    @Bean
    static ContainerPostProcessor<Object, Object, AbstractMessageListenerContainer<Object, Object>> withoutCommits() {
        return container -> container.getContainerProperties().setAckMode(AckMode.MANUAL);
    }
}
