package dev.transcriber.api.completion;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ContainerPostProcessor;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties.AckMode;

/**
 * How the api reads {@code JobFinished} and {@code JobProgress}: every instance reads every partition, assigned by
 * number, from the end, with no consumer group. A restarted instance holds no requests, so it has no offsets to
 * keep, and the broker is left no group behind by a restart (a group per start used to pile up orphans).
 */
@Configuration(proxyBeanMethods = false)
class CompletionListeners {

    /**
     * These consumers wait 500 ms for an empty fetch, not the services' 5 s: a consumer's close waits for its fetch
     * outstanding at the broker, and the api stops its listeners before its web server stops taking requests (the
     * drain then reads ended jobs from the database). With 5 s an api shutting down kept taking new requests for up to
     * 5 s (ApiDrainFlowTest). Two consumers asking twice a second is the price at rest.
     */
    static final String SHORT_FETCH_WAIT = "fetch.max.wait.ms=500";

    /**
     * Without a group there is nowhere to commit: the containers acknowledge manually, and these listeners never do
     * (the container then commits nothing).
     */
    @Bean
    static ContainerPostProcessor<Object, Object, AbstractMessageListenerContainer<Object, Object>> withoutCommits() {
        return container -> container.getContainerProperties().setAckMode(AckMode.MANUAL);
    }
}
