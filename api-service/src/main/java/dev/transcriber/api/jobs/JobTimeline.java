package dev.transcriber.api.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.TranscriptCodec;
import dev.transcriber.common.webhooks.WebhookDelivery;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job's timeline, derived from the rows that exist anyway: the job (created, last queued, first started, ended,
 * deleted), its pieces (each one's end), and its webhook deliveries (each attempt's log entry). Nothing is written for
 * it, so it tells only what those rows keep: a job's claims after the first, and its failed attempts other than a
 * failed piece (a lost lease, an upstream error retried), leave no time behind and are not shown.
 */
@Service
class JobTimeline {

    private static final TypeReference<List<Attempt>> ATTEMPTS = new TypeReference<>() {};

    private final JobQueries queries;
    private final JobRepository jobs;
    private final WebhookDeliveryRepository deliveries;
    private final JdbcClient jdbc;
    private final TranscriptCodec codec;
    private final JsonMapper json;

    JobTimeline(
            JobQueries queries,
            JobRepository jobs,
            WebhookDeliveryRepository deliveries,
            JdbcClient jdbc,
            TranscriptCodec codec,
            JsonMapper json) {
        this.queries = queries;
        this.jobs = jobs;
        this.deliveries = deliveries;
        this.jdbc = jdbc;
        this.codec = codec;
        this.json = json;
    }

    /** An entry of a delivery's attempt log, as the worker's sender writes it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Attempt(int attempt, long at, Integer status, String error) {}

    /** The columns the job entity does not map. */
    private record Marks(Instant queuedAt, Instant deletedAt) {}

    @Transactional(readOnly = true)
    Timeline of(JobId id, Scope scope) {
        TranscriptionJob job = queries.find(id, scope);
        Marks marks = jdbc.sql("select queued_at, deleted_at from transcription_jobs where id = :id")
                .param("id", id.value())
                .query((rs, n) -> new Marks(instant(rs.getTimestamp(1)), instant(rs.getTimestamp(2))))
                .single();
        Instant created = job.createdAt();
        String lane = job.lane().name().toLowerCase(Locale.ROOT);
        boolean held = job.state() == JobState.HELD;
        // Events are added in the order they must have happened; times from different clocks (the api's, a
        // worker's, the database's) are kept no earlier than the job's creation, and the sort below is stable.
        List<Timeline.Event> events = new ArrayList<>();
        events.add(Timeline.Event.of(
                created, "accepted", new Timeline.Accepted(lane, job.spec().model(), held ? Boolean.TRUE : null)));
        if (marks.queuedAt() != null && !held) {
            boolean requeued = job.startedAt() != null && marks.queuedAt().isAfter(job.startedAt());
            events.add(Timeline.Event.of(
                    latest(created, marks.queuedAt()),
                    "queued",
                    new Timeline.Queued(lane, requeued ? Boolean.TRUE : null)));
        }
        if (job.startedAt() != null) {
            events.add(Timeline.Event.of(
                    latest(created, job.startedAt()), "claimed", new Timeline.Claimed(1, job.claims())));
        }
        for (TranscriptionJob piece : jobs.findPieces(id.value())) {
            if (piece.finishedAt() == null) {
                continue;
            }
            Instant at = latest(created, piece.finishedAt());
            if (piece.state() == JobState.SUCCEEDED) {
                events.add(Timeline.Event.of(
                        at, "piece_done", new Timeline.PieceDone(piece.pieceIndex(), piece.upstreamAccount())));
            } else if (piece.state() == JobState.FAILED && piece.failureCode() != null) {
                events.add(Timeline.Event.of(
                        at,
                        "attempt_failed",
                        new Timeline.AttemptFailed(
                                piece.pieceIndex(), piece.failureCode().code())));
            }
        }
        if (job.finishedAt() != null && job.state().isTerminal()) {
            events.add(ending(job, latest(created, job.finishedAt())));
        }
        if (marks.deletedAt() != null) {
            events.add(Timeline.Event.of(latest(created, marks.deletedAt()), "deleted", null));
        }
        for (WebhookDelivery delivery : deliveries.findByJobIdOrderByCreatedAt(id.value())) {
            for (Attempt attempt : json.readValue(delivery.attemptLog(), ATTEMPTS)) {
                boolean delivered = attempt.status() != null && attempt.status() / 100 == 2;
                // the log keeps whole seconds; the delivery row itself was written when the job ended
                events.add(Timeline.Event.of(
                        latest(delivery.createdAt(), Instant.ofEpochSecond(attempt.at())),
                        delivered ? "webhook_delivered" : "webhook_failed",
                        new Timeline.Webhook(
                                delivery.id(),
                                delivery.eventType(),
                                attempt.attempt(),
                                attempt.status(),
                                attempt.error())));
            }
        }
        events.sort(Comparator.comparing(Timeline.Event::at));
        return Timeline.of(events);
    }

    private Timeline.Event ending(TranscriptionJob job, Instant at) {
        return switch (job.state()) {
            case SUCCEEDED ->
                Timeline.Event.of(
                        at,
                        "succeeded",
                        new Timeline.Succeeded(
                                job.transcriptJson() == null
                                        ? null
                                        : codec.read(job.transcriptJson()).usage(),
                                job.upstreamAccount(),
                                job.reusedFrom() == null
                                        ? null
                                        : job.reusedFrom().toString()));
            case FAILED ->
                Timeline.Event.of(
                        at,
                        "failed",
                        new Timeline.Failed(
                                job.failureCode() == null
                                        ? null
                                        : job.failureCode().code(),
                                job.failureMessage()));
            default -> Timeline.Event.of(at, "cancelled", null);
        };
    }

    private static Instant latest(Instant floor, Instant at) {
        return at.isBefore(floor) ? floor : at;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
