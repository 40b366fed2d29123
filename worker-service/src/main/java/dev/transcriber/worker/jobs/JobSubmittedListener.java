package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Topics;
import java.util.List;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/** Takes jobs a poll at a time; the offsets move on once every job of the poll is claimed. */
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
    void on(List<JobSubmitted> events) throws InterruptedException {
        dispatcher.dispatch(events.stream().map(JobSubmitted::jobId).toList());
    }
}
