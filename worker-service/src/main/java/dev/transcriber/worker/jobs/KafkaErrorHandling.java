package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.Lane;
import dev.transcriber.worker.WorkerProperties;
import java.util.Arrays;
import org.apache.kafka.common.TopicPartition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ContainerPostProcessor;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * What happens when a listener throws: a few retries with back-off (well under {@code max.poll.interval.ms}) for
 * {@code transcriber.worker.queue.claim-retry-for}, then the record goes to the dead-letter topic. A record that names
 * no job never gets here: its listener puts it there at once (with {@link #deadLetters}). A batch listener names the one
 * record that failed ({@code BatchListenerFailedException}), so only that record is retried and dead-lettered, not its
 * whole poll. Nothing reads the dead-letter topic: the job behind a dead-lettered record is still queued in the
 * database, and {@link QueueSweeper} sends it again.
 */
@Configuration(proxyBeanMethods = false)
class KafkaErrorHandling {

    /**
     * Puts a lane's record on its dead-letter topic ({@code <topic>-dlt}, partition 0), with Kafka's headers naming
     * where it came from and why: for the error handler, and for the listener's records that name no job.
     */
    @Bean
    DeadLetterPublishingRecoverer deadLetters(KafkaOperations<?, ?> template) {
        return new DeadLetterPublishingRecoverer(
                template, (record, failure) -> new TopicPartition(record.topic() + "-dlt", 0));
    }

    @Bean
    DefaultErrorHandler kafkaErrorHandler(DeadLetterPublishingRecoverer recoverer, QueueProperties queue) {
        var backOff = new ExponentialBackOff(500, 2.0);
        backOff.setMaxElapsedTime(queue.claimRetryFor().toMillis());
        var handler = new DefaultErrorHandler(recoverer, backOff);
        // The offset of a dead-lettered record is committed at once, not with the next record of its partition: the
        // sweeper decides that a job's message is gone from the group's committed offsets.
        handler.setCommitRecovered(true);
        return handler;
    }

    /**
     * The job listeners acknowledge (or hand back) their records themselves, see {@link JobDispatcher}; immediately,
     * since that is the mode in which the error handler also commits what it dead-lettered. A lane's listener starts
     * only on a worker that reads that lane ({@code transcriber.worker.lanes}); on the others it never joins the
     * lane's consumer group.
     */
    @Bean
    static ContainerPostProcessor<Object, Object, AbstractMessageListenerContainer<Object, Object>> manualAcks(
            WorkerProperties worker) {
        return container -> {
            container.getContainerProperties().setAckMode(AckMode.MANUAL_IMMEDIATE);
            String[] topics = container.getContainerProperties().getTopics();
            boolean read = topics == null
                    || Arrays.stream(topics)
                            .allMatch(topic -> Arrays.stream(Lane.values())
                                    .filter(lane -> lane.topic().equals(topic))
                                    .allMatch(worker.lanes()::contains));
            container.setAutoStartup(read);
        };
    }
}
