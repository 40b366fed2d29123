package dev.transcriber.api.transcription;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.completion.PendingCompletions;
import dev.transcriber.api.intake.JobSubmission;
import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.web.InternalToken;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/**
 * Hands a sync call's recorded job to a worker directly, skipping the queue's two hops (its event to a worker, its
 * end notice back), when the hand-off is configured ({@link HandOffProperties}): a call to the workers' internal
 * route, which runs the job on that call if a slot is free at once and answers with its end. Kafka stays the path of
 * record: a worker with no free slot, one that cannot be reached, or any failure of the call, and the job's event is
 * sent as it would have been ({@link JobSubmission#announce}); a worker that dies during the call leaves the job
 * leased, and it is queued again when its lease runs out, as any job. The call does not hold the request's thread: its
 * answer releases the held request ({@link PendingCompletions#complete}), in the trace of the job's end, which waits as usual (its timeout, the
 * instance's drain, the completion poller as the safety net when the answer is lost).
 */
@Component
@EnableConfigurationProperties(HandOffProperties.class)
public class WorkerHandOff {

    /** Where the worker names the trace of the job's end, which the release of the held request continues. */
    static final String END_TRACE_HEADER = "X-Job-End-Traceparent";

    private static final Logger log = LoggerFactory.getLogger(WorkerHandOff.class);

    private final URI worker;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;
    private final JobSubmission submission;
    private final PendingCompletions pending;
    private final EventCodec codec;
    private final Counter answered;
    private final Counter runElsewhere;
    private final Counter throughKafka;

    WorkerHandOff(
            HandOffProperties properties,
            InternalToken token,
            ApiProperties api,
            JobSubmission submission,
            PendingCompletions pending,
            EventCodec codec,
            MeterRegistry meters) {
        this.answered = counter(meters, "answered");
        this.runElsewhere = counter(meters, "run");
        this.throughKafka = counter(meters, "through_kafka");
        boolean off =
                properties.worker() == null || properties.worker().toString().isBlank() || !token.configured();
        this.worker = off ? null : properties.worker();
        this.token = token.bearer();
        this.timeout = api.syncTimeout();
        this.submission = submission;
        this.pending = pending;
        this.codec = codec;
        this.http = worker == null
                ? null
                : HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(properties.connectTimeout())
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .executor(Executors.newVirtualThreadPerTaskExecutor())
                        .build();
    }

    /** Whether jobs are handed to workers directly. */
    boolean enabled() {
        return worker != null;
    }

    /**
     * Hands {@code job} (recorded, queued, its event not sent) to a worker, or sends its event when the hand-off is
     * off. Returns at once.
     */
    void handOver(TranscriptionJob job) {
        if (worker == null) {
            submission.announce(job);
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(worker.resolve("/internal/jobs/" + job.id() + "/run"))
                .timeout(timeout)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody());
        if (job.traceparent() != null) {
            request.header(Traces.TRACEPARENT, job.traceparent());
        }
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                .whenComplete((response, failure) -> answered(job, response, failure));
    }

    private void answered(TranscriptionJob job, HttpResponse<String> response, Throwable failure) {
        try {
            if (failure == null && response.statusCode() == 200) {
                JobFinished end = codec.read(response.body(), JobFinished.class);
                pending.complete(
                        job.id(),
                        JobState.SUCCEEDED.name().equals(end.state()) ? end.answer() : null,
                        response.headers()
                                .firstValue(END_TRACE_HEADER)
                                .filter(trace -> !trace.isEmpty())
                                .orElse(job.traceparent()));
                answered.increment();
                return;
            }
            if (failure == null && (response.statusCode() == 202 || response.statusCode() == 409)) {
                runElsewhere.increment();
                return; // run there, or taken or ended elsewhere: its end notice comes as usual
            }
            if (failure == null && response.statusCode() != 503) {
                log.warn("worker refused job {} with HTTP {}; sent through Kafka", job.id(), response.statusCode());
            } else if (failure != null) {
                log.debug("job {} not handed to a worker ({}); sent through Kafka", job.id(), failure.toString());
            }
            throughKafka.increment();
            submission.announce(job); // a worker that did claim it meanwhile keeps it: the event finds it taken
        } catch (RuntimeException e) {
            log.warn(
                    "the answer to job {}'s hand-off was not understood ({}); sent through Kafka",
                    job.id(),
                    e.toString());
            throughKafka.increment();
            submission.announce(job);
        }
    }

    /**
     * {@code transcriber.api.hand_offs}, per {@code outcome}: {@code answered} (the worker answered with the job's
     * end), {@code run} (a worker ran it, or had it already; its end notice releases the request), {@code
     * through_kafka} (no worker took it: its event was sent).
     */
    private static Counter counter(MeterRegistry meters, String outcome) {
        return Counter.builder("transcriber.api.hand_offs")
                .description("Sync jobs handed to a worker directly, by what became of the hand-off")
                .tag("outcome", outcome)
                .register(meters);
    }

    @PreDestroy
    void close() {
        if (http != null) {
            http.shutdownNow();
        }
    }
}
