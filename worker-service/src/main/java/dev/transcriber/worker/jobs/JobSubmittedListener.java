package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import java.util.List;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Takes jobs a poll at a time, one consumer group per lane; the offsets move on once every job of the poll is
 * claimed.
 */
@Component
class JobSubmittedListener {

    private final JobDispatcher dispatcher;

    JobSubmittedListener(JobDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    @KafkaListener(
            topics = Topics.JOBS,
            groupId = "workers",
            batch = "true",
            concurrency = "${transcriber.worker.consumers:2}")
    void interactive(List<JobSubmitted> events) throws InterruptedException {
        dispatcher.dispatch(Lane.INTERACTIVE, ids(events));
    }

    @KafkaListener(
            topics = Topics.JOBS + ".async",
            groupId = "workers-async",
            batch = "true",
            concurrency = "${transcriber.worker.consumers:2}")
    void async(List<JobSubmitted> events) throws InterruptedException {
        dispatcher.dispatch(Lane.ASYNC, ids(events));
    }

    @KafkaListener(topics = Topics.JOBS + ".bulk", groupId = "workers-bulk", batch = "true")
    void bulk(List<JobSubmitted> events) throws InterruptedException {
        dispatcher.dispatch(Lane.BULK, ids(events));
    }

    private static List<dev.transcriber.common.events.JobId> ids(List<JobSubmitted> events) {
        return events.stream().map(JobSubmitted::jobId).toList();
    }
}
