package dev.transcriber.api.transcription;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.completion.PendingCompletions;
import dev.transcriber.api.intake.JobSubmission;
import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.net.HttpConnections;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.web.HandOffRoute;
import dev.transcriber.common.web.InternalToken;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * leased, and it is queued again when its lease runs out, as any job. The call's body is the job's audio when the
 * call kept it whole on its way into the store ({@link CarriedAudio}), so the worker does not read it back; empty
 * otherwise. The call runs on a virtual thread of its own, not
 * the request's, through the blocking client of the job's other calls ({@link HttpConnections}: no selector thread
 * between the call and its answer); its answer releases the held request ({@link PendingCompletions#complete}) in the
 * trace of the job's end, while the request waits as usual (its timeout, the instance's drain, the completion poller as
 * the safety net when the answer is lost).
 */
@Component
@EnableConfigurationProperties(HandOffProperties.class)
public class WorkerHandOff {

    /** The most of a 200's body read: an end notice carries a transcript of at most 32,768 characters, as JSON. */
    private static final int MAX_ANSWER_BYTES = 1024 * 1024;

    /**
     * The call's empty body, never sent again: a kept connection that fails before the answer is not retried (the
     * worker may have the job), and one idle for a while is checked before it is used.
     */
    private static final HttpConnections.Payload NOT_SENT_AGAIN = new HttpConnections.Payload() {
        @Override
        public long length() {
            return 0;
        }

        @Override
        public void writeTo(OutputStream out) {}

        @Override
        public boolean replayable() {
            return false;
        }
    };

    private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private static final Logger log = LoggerFactory.getLogger(WorkerHandOff.class);

    private final URI worker;
    private final String scheme;
    private final String host;
    private final int port;
    private final String token;
    private final HttpConnections http;
    private final ExecutorService calls;
    private final JobSubmission submission;
    private final PendingCompletions pending;
    private final EventCodec codec;
    private final CarriedAudio carried;
    private final AtomicLong nextRefusalLog = new AtomicLong(System.nanoTime());
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
        this.worker = off ? null : checked(properties.worker());
        this.token = token.bearer();
        this.submission = submission;
        this.pending = pending;
        this.codec = codec;
        this.carried = worker == null
                ? CarriedAudio.NONE
                : new CarriedAudio(
                        properties.carryAudioUpTo().toBytes(),
                        properties.carryMemory().toBytes());
        Gauge.builder("transcriber.api.hand_offs.carried_bytes", carried, CarriedAudio::heldBytes)
                .description("Memory held by sync calls' audio kept for their hand-off, of"
                        + " transcriber.api.hand-off.carry-memory")
                .baseUnit("bytes")
                .register(meters);
        if (worker == null) {
            this.scheme = null;
            this.host = null;
            this.port = -1;
            this.http = null;
            this.calls = null;
        } else {
            boolean secure = "https".equalsIgnoreCase(worker.getScheme());
            this.scheme = secure ? "https" : "http";
            String named = worker.getHost();
            this.host = named.startsWith("[") ? named.substring(1, named.length() - 1) : named; // an IPv6 literal
            this.port = worker.getPort() > 0 ? worker.getPort() : secure ? 443 : 80;
            // the worker answers when the job has ended: a read may wait as long as the sync call does
            this.http = new HttpConnections(
                    properties.connectTimeout(),
                    Duration.ofMillis(Math.clamp(api.syncTimeout().toMillis(), 1, Integer.MAX_VALUE)));
            this.calls = Executors.newVirtualThreadPerTaskExecutor();
        }
    }

    /** The workers' base URL: http or https, a host, nothing after the port; else the api does not start. */
    private static URI checked(URI worker) {
        boolean web = "http".equalsIgnoreCase(worker.getScheme()) || "https".equalsIgnoreCase(worker.getScheme());
        String path = worker.getRawPath();
        if (!web
                || worker.getHost() == null
                || (path != null && !path.isEmpty() && !path.equals("/"))
                || worker.getRawQuery() != null
                || worker.getRawFragment() != null
                || worker.getRawUserInfo() != null) {
            throw new IllegalStateException("transcriber.api.hand-off.worker (TRANSCRIBER_API_HANDOFF_WORKER) must be"
                    + " the workers' base URL, http(s)://host:port with nothing after it, e.g. http://worker:8081; was "
                    + worker);
        }
        return worker;
    }

    /** Whether jobs are handed to workers directly. */
    boolean enabled() {
        return worker != null;
    }

    /**
     * A copy of a sync call's audio to go with its hand-off ({@link CarriedAudio}); one that keeps nothing when the
     * hand-off is off. The call closes it when it ends.
     */
    CarriedAudio.Copy carry() {
        return carried.copy();
    }

    /**
     * Hands {@code job} (recorded, queued, its event not sent) to a worker, with its audio when {@code audio} kept it
     * whole, or sends its event when the hand-off is off. Returns at once.
     */
    void handOver(TranscriptionJob job, CarriedAudio.Copy audio) {
        if (worker == null) {
            submission.announce(job);
            return;
        }
        try {
            calls.execute(() -> call(job, audio));
        } catch (RuntimeException e) { // closed with the instance: the job is recorded, so it goes through Kafka
            audio.close();
            answered(job, 0, null, null, e);
        }
    }

    /** The call, on a virtual thread of its own; the audio's copy is closed once its body is written, or it fails. */
    private void call(TranscriptionJob job, CarriedAudio.Copy audio) {
        HttpConnections.Payload body = audio.body(job.audio().sizeBytes());
        List<Map.Entry<String, String>> headers = new ArrayList<>(4);
        headers.add(Map.entry(HttpHeaders.HOST, host.contains(":") ? "[" + host + "]:" + port : host + ":" + port));
        headers.add(Map.entry(HttpHeaders.AUTHORIZATION, "Bearer " + token));
        if (job.traceparent() != null) {
            headers.add(Map.entry(Traces.TRACEPARENT, job.traceparent()));
        }
        if (body != null) {
            headers.add(Map.entry(HttpHeaders.CONTENT_TYPE, "application/octet-stream"));
        }
        try (HttpConnections.Answer answer = http.exchange(scheme, host, port)
                .send("POST", HandOffRoute.path(job.id()), headers, body == null ? NOT_SENT_AGAIN : body)) {
            answered(
                    job,
                    answer.status(),
                    answer.firstValue(HandOffRoute.END_TRACE_HEADER).orElse(null),
                    answer.status() == 200 ? answer.bodyText(MAX_ANSWER_BYTES) : null,
                    null);
        } catch (IOException | RuntimeException e) {
            answered(job, 0, null, null, e);
        } finally {
            audio.close();
        }
    }

    /** The worker answered {@code status} (with {@code endTrace} and {@code body} for a 200), or the call {@code failed}. */
    private void answered(TranscriptionJob job, int status, String endTrace, String body, Exception failed) {
        try {
            if (failed == null && status == 200) {
                JobFinished end = codec.read(body, JobFinished.class);
                pending.complete(
                        job.id(),
                        JobState.SUCCEEDED.name().equals(end.state()) ? end.answer() : null,
                        endTrace == null || endTrace.isEmpty() ? job.traceparent() : endTrace);
                answered.increment();
                return;
            }
            if (failed == null && (status == 202 || status == 409)) {
                runElsewhere.increment();
                return; // run there, or taken or ended elsewhere: its end notice comes as usual
            }
            if (failed == null && status != 503) {
                refused(job, status);
            } else if (failed != null) {
                log.debug("job {} not handed to a worker ({}); sent through Kafka", job.id(), failed.toString());
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
     * A worker refused the hand-off for another reason than a full lane: a token that differs from the workers', a
     * worker older than the route (a rolling upgrade). Every such job goes through Kafka; the log says so once a
     * minute, not once a request.
     */
    private void refused(TranscriptionJob job, int status) {
        long now = System.nanoTime();
        long next = nextRefusalLog.get();
        if (now - next >= 0 && nextRefusalLog.compareAndSet(next, now + REFUSAL_LOG_INTERVAL_NANOS)) {
            log.warn(
                    "a worker refused job {} with HTTP {}; it and every job so refused go through Kafka{}",
                    job.id(),
                    status,
                    status == 401 || status == 403
                            ? " (is TRANSCRIBER_INTERNAL_TOKEN the same on the api and the workers?)"
                            : "");
        } else {
            log.debug("a worker refused job {} with HTTP {}; sent through Kafka", job.id(), status);
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
        if (calls != null) {
            calls.shutdownNow(); // a call under way ends with its connection: its job goes through Kafka
            http.close();
        }
    }
}
