package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Topics;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

@Component
class JobSubmittedListener {

    private final JobDispatcher dispatcher;

    JobSubmittedListener(JobDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    @KafkaListener(topics = Topics.JOBS, groupId = "workers", concurrency = "${transcriber.worker.consumers:2}")
    void on(JobSubmitted event) throws InterruptedException {
        dispatcher.dispatch(event.jobId());
    }
}
