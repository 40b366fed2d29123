package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.TranscriptCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/** Reads jobs for their owners. A job of another key is reported as not found, like one that does not exist. */
@Service
public class JobQueries {

    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;

    private final JobRepository jobs;
    private final TranscriptCodec codec;
    private final JdbcClient jdbc;
    private final JsonMapper json;

    JobQueries(JobRepository jobs, TranscriptCodec codec, JdbcClient jdbc, JsonMapper json) {
        this.jobs = jobs;
        this.codec = codec;
        this.jdbc = jdbc;
        this.json = json;
    }

    /** The caller's job (pieces of long audio are not jobs of their own to callers). */
    public TranscriptionJob owned(JobId id, Caller caller) {
        return ownedBy(jobs.findById(id.value()), id, caller);
    }

    /** As {@link #owned}, locked until the transaction ends, so a worker's concurrent change waits (and loses). */
    TranscriptionJob ownedForUpdate(JobId id, Caller caller) {
        return ownedBy(jobs.lockById(id.value()), id, caller);
    }

    private static TranscriptionJob ownedBy(Optional<TranscriptionJob> job, JobId id, Caller caller) {
        return job.filter(j -> Objects.equals(j.apiKeyId(), caller.keyId()) && !j.isPiece())
                .orElseThrow(() -> notFound(id.toString()));
    }

    @Transactional(readOnly = true)
    public JobView view(JobId id, Caller caller) {
        return view(owned(id, caller));
    }

    public JobView view(TranscriptionJob job) {
        OpenAiError.Body error = null;
        if (job.state() == JobState.FAILED) {
            error = OpenAiError.of(
                            ApiException.jobFailed(job.failureCode(), job.failureMessage(), job.failureResetsAt()))
                    .error();
        }
        Transcript result = job.state() == JobState.SUCCEEDED && job.transcriptJson() != null
                ? codec.read(job.transcriptJson())
                : null;
        return new JobView(
                job.id().toString(),
                "transcription_job",
                job.state().name().toLowerCase(Locale.ROOT),
                job.spec().model(),
                job.spec().responseFormat(),
                job.createdAt().getEpochSecond(),
                job.startedAt() == null ? null : job.startedAt().getEpochSecond(),
                job.finishedAt() == null ? null : job.finishedAt().getEpochSecond(),
                job.piecesTotal() == null && job.piecesDone() == 0
                        ? null
                        : new JobView.Progress(job.piecesDone(), job.piecesTotal()),
                job.metadata().isEmpty() ? null : new TreeMap<>(job.metadata()),
                job.webhookUrl(),
                result == null ? null : result.usage(),
                job.upstreamAccount(),
                result,
                error,
                job.isDeleted() ? Boolean.TRUE : null,
                job.batchId() == null ? null : job.batchId().toString(),
                job.reusedFrom() == null ? null : job.reusedFrom().toString());
    }

    /**
     * A page of the caller's jobs, newest first: after the job {@code after} (a cursor), at most {@code limit}, in
     * {@code status} if given, carrying every {@code metadata} pair given, made with {@code idempotencyKey} if given
     * (how a caller whose connection dropped before the answer learns its job's id without sending the audio again).
     */
    @Transactional(readOnly = true)
    public JobList list(
            Caller caller,
            String after,
            Integer limit,
            String status,
            Map<String, String> metadata,
            String idempotencyKey) {
        int size = limit == null ? DEFAULT_LIMIT : limit;
        if (size < 1 || size > MAX_LIMIT) {
            throw ApiException.invalidRequest(
                    "Invalid value for 'limit': expected 1 to " + MAX_LIMIT + ", got " + size + ".", "limit");
        }
        StringBuilder sql =
                new StringBuilder("select id from transcription_jobs where api_key_id = :key and parent_id is null");
        var params = new java.util.HashMap<String, Object>();
        params.put("key", caller.keyId());
        if (status != null) {
            params.put("state", state(status).name());
            sql.append(" and state = :state");
        }
        if (idempotencyKey != null) {
            params.put("idempotencyKey", idempotencyKey);
            sql.append(" and idempotency_key = :idempotencyKey");
        }
        if (!metadata.isEmpty()) {
            params.put("metadata", json.writeValueAsString(metadata));
            sql.append(" and metadata::jsonb @> cast(:metadata as jsonb)");
        }
        if (after != null) {
            TranscriptionJob cursor = owned(parseId(after), caller);
            params.put("afterCreated", java.sql.Timestamp.from(cursor.createdAt()));
            params.put("afterId", cursor.id().value());
            sql.append(" and (created_at, id) < (:afterCreated, :afterId)");
        }
        sql.append(" order by created_at desc, id desc limit ").append(size + 1);
        List<UUID> ids =
                jdbc.sql(sql.toString()).params(params).query(UUID.class).list();
        boolean hasMore = ids.size() > size;
        List<UUID> page = hasMore ? ids.subList(0, size) : ids;
        Map<UUID, TranscriptionJob> found =
                jobs.findAllById(page).stream().collect(Collectors.toMap(j -> j.id().value(), Function.identity()));
        List<JobView> views = new ArrayList<>();
        for (UUID id : page) {
            views.add(view(found.get(id)).withoutResult());
        }
        return JobList.of(views, hasMore);
    }

    private static JobState state(String status) {
        return Arrays.stream(JobState.values())
                .filter(s -> s.name().equalsIgnoreCase(status))
                .findFirst()
                .orElseThrow(() -> ApiException.invalidRequest(
                        "Invalid value for 'status': '" + status
                                + "'. Supported values are: 'queued', 'running', 'succeeded', 'failed' and"
                                + " 'cancelled'.",
                        "status"));
    }

    public static JobId parseId(String id) {
        try {
            return JobId.parse(id);
        } catch (IllegalArgumentException e) {
            throw notFound(id);
        }
    }

    static ApiException notFound(String id) {
        return new ApiException(
                HttpStatus.NOT_FOUND, "invalid_request_error", "not_found", "id", "No transcription job '" + id + "'.");
    }
}
