package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.TranscriptCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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

/**
 * Reads jobs in a {@link Scope}: a caller's (its key's jobs only; another key's job is reported as not found, like
 * one that does not exist) or the operator's (every key's).
 */
@Service
public class JobQueries {

    private final JobRepository jobs;
    private final TranscriptCodec codec;
    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final ModelCatalog catalog;

    JobQueries(JobRepository jobs, TranscriptCodec codec, JdbcClient jdbc, JsonMapper json, ModelCatalog catalog) {
        this.jobs = jobs;
        this.codec = codec;
        this.jdbc = jdbc;
        this.json = json;
        this.catalog = catalog;
    }

    /** The job, if {@code scope} sees it (pieces of long audio are not jobs of their own to anyone outside). */
    public TranscriptionJob find(JobId id, Scope scope) {
        return visible(jobs.findById(id.value()), id, scope);
    }

    /** As {@link #find}, locked until the transaction ends, so a worker's concurrent change waits (and loses). */
    TranscriptionJob findForUpdate(JobId id, Scope scope) {
        return visible(jobs.lockById(id.value()), id, scope);
    }

    private static TranscriptionJob visible(Optional<TranscriptionJob> job, JobId id, Scope scope) {
        return job.filter(j -> scope.sees(j.apiKeyId()) && !j.isPiece()).orElseThrow(() -> notFound(id.toString()));
    }

    @Transactional(readOnly = true)
    public JobView view(JobId id, Scope scope) {
        return view(find(id, scope), scope);
    }

    /** The job as {@code scope} sees it: the operator's view also names its key. */
    public JobView view(TranscriptionJob job, Scope scope) {
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
                job.state().wireName(),
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
                job.reusedFrom() == null ? null : job.reusedFrom().toString(),
                scope.shownKey(job.apiKeyId()),
                job.spec().task().wireName());
    }

    /**
     * A page of the jobs {@code scope} sees, newest first: after the job {@code after} (a cursor), at most
     * {@code limit}, narrowed by {@code filter}. The idempotency key filter is how a caller whose connection dropped
     * before the answer learns its job's id without sending the audio again.
     */
    @Transactional(readOnly = true)
    public JobList list(Scope scope, JobFilter filter, String after, Integer limit) {
        int size = NewestFirst.pageSize(limit);
        NewestFirst query = new NewestFirst("transcription_jobs", "parent_id is null")
                .where("api_key_id = :key", "key", scope.keyId())
                .where("api_key_id = :filterKey", "filterKey", filter.keyId())
                .where("batch_id = :batch", "batch", filter.batchId())
                .where(
                        "state = :state",
                        "state",
                        filter.status() == null ? null : state(filter.status()).name())
                .where("model in (:models)", "models", filter.model() == null ? null : spellings(filter.model()))
                .where("idempotency_key = :idempotencyKey", "idempotencyKey", filter.idempotencyKey())
                .where(
                        "metadata::jsonb @> cast(:metadata as jsonb)",
                        "metadata",
                        filter.metadata().isEmpty() ? null : json.writeValueAsString(filter.metadata()));
        if (after != null) {
            TranscriptionJob cursor = find(parseId(after), scope);
            query.after(cursor.createdAt(), cursor.id().value());
        }
        NewestFirst.Page page = query.read(jdbc, size);
        Map<UUID, TranscriptionJob> found = jobs.findAllById(page.ids()).stream()
                .collect(Collectors.toMap(j -> j.id().value(), Function.identity()));
        List<JobView> views = new ArrayList<>();
        for (UUID id : page.ids()) {
            views.add(view(found.get(id), scope).withoutResult());
        }
        return JobList.of(views, page.hasMore());
    }

    /** A model as jobs may have stored it: both spellings of a catalog model, else as given. */
    private List<String> spellings(String model) {
        return catalog.resolve(model)
                .map(m -> List.of(m.id(), ModelCatalog.PROVIDER_PREFIX + m.id()))
                .orElse(List.of(model));
    }

    /** A status callers see (a state as stored: held jobs are queued to them, jobs awaiting pieces running). */
    private static JobState state(String status) {
        return Arrays.stream(JobState.values())
                .filter(s -> s == s.stored() && s.wireName().equalsIgnoreCase(status))
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
