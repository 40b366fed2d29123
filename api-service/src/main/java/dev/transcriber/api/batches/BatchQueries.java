package dev.transcriber.api.batches;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.api.formats.RenderedTranscript;
import dev.transcriber.api.formats.TranscriptRenderer;
import dev.transcriber.api.jobs.JobList;
import dev.transcriber.api.jobs.JobQueries;
import dev.transcriber.api.jobs.JobView;
import dev.transcriber.api.jobs.NewestFirst;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.BatchState;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.TranscriptCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.data.domain.Limit;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads batches for their owners: the batch with counts and an estimate, its jobs, and its results as JSONL. */
@Service
class BatchQueries {

    private static final int RESULTS_PAGE = 200;

    private final BatchRepository batches;
    private final JobRepository jobs;
    private final JobQueries jobViews;
    private final JdbcClient jdbc;
    private final TranscriptCodec codec;
    private final TranscriptRenderer renderer;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final Clock clock;

    BatchQueries(
            BatchRepository batches,
            JobRepository jobs,
            JobQueries jobViews,
            JdbcClient jdbc,
            TranscriptCodec codec,
            TranscriptRenderer renderer,
            TransactionTemplate transactions,
            JsonMapper json,
            Clock clock) {
        this.batches = batches;
        this.jobs = jobs;
        this.jobViews = jobViews;
        this.jdbc = jdbc;
        this.codec = codec;
        this.renderer = renderer;
        this.transactions = transactions;
        this.json = json;
        this.clock = clock;
    }

    /** The batch, if {@code scope} sees it. */
    TranscriptionBatch find(UUID id, Scope scope) {
        return visible(batches.findById(id), id, scope);
    }

    TranscriptionBatch findForUpdate(UUID id, Scope scope) {
        return visible(batches.lockById(id), id, scope);
    }

    private static TranscriptionBatch visible(Optional<TranscriptionBatch> batch, UUID id, Scope scope) {
        return batch.filter(b -> scope.sees(b.apiKeyId())).orElseThrow(() -> notFound(id.toString()));
    }

    @Transactional(readOnly = true)
    BatchView view(UUID id, Scope scope) {
        return view(find(id, scope), scope);
    }

    /** The batch as {@code scope} sees it: the operator's view also names its key. */
    BatchView view(TranscriptionBatch batch, Scope scope) {
        JobSpec spec = json.readValue(batch.options(), JobSpec.class);
        Tally tally = tally(batch.id());
        Instant now = clock.instant();
        Long eta = null;
        if (tally.remaining() != null
                && tally.firstStarted() != null
                && tally.done() > 0
                && !batch.state().isTerminal()) {
            double elapsed =
                    Math.max(1, Duration.between(tally.firstStarted(), now).toMillis()) / 1000.0;
            double perSecond = tally.done() / elapsed;
            eta = now.plusMillis((long) (tally.remaining() / perSecond * 1000)).getEpochSecond();
        }
        return new BatchView(
                batch.id().toString(),
                "transcription_batch",
                batch.state().name().toLowerCase(Locale.ROOT),
                spec.model(),
                spec.responseFormat(),
                new BatchView.Source(
                        batch.sourceKind().name().toLowerCase(Locale.ROOT),
                        batch.sourceKind() == BatchSource.FEED ? batch.source() : null),
                batch.metadata().isEmpty() ? null : new TreeMap<>(batch.metadata()),
                batch.webhookUrl(),
                batch.jobWebhooks(),
                batch.reuse(),
                batch.createdAt().getEpochSecond(),
                epoch(batch.expandedAt()),
                epoch(batch.finishedAt()),
                new BatchView.Counts(
                        batch.itemsTotal() != null ? batch.itemsTotal() : tally.total(),
                        tally.count(JobState.QUEUED),
                        tally.count(JobState.RUNNING),
                        tally.count(JobState.SUCCEEDED),
                        tally.count(JobState.FAILED),
                        tally.count(JobState.CANCELLED)),
                new BatchView.Audio(round(tally.done()), tally.remaining() == null ? null : round(tally.remaining())),
                eta,
                batch.skipped().isEmpty() ? null : batch.skipped(),
                batch.failureCode() == null ? null : new BatchView.Error(batch.failureCode(), batch.failureMessage()),
                scope.shownKey(batch.apiKeyId()),
                spec.task().wireName());
    }

    /** The batch's items by state, and their audio: done, and left (probed, or the average where not yet). */
    private record Tally(Map<JobState, Integer> counts, double done, Double remaining, Instant firstStarted) {
        int count(JobState state) {
            return counts.getOrDefault(state, 0);
        }

        int total() {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private Tally tally(UUID batchId) {
        Map<JobState, Integer> counts = new java.util.EnumMap<>(JobState.class);
        double[] seconds = new double[4]; // done, known unfinished, known all, known count
        int[] unknownUnfinished = new int[1];
        Instant[] first = new Instant[1];
        jdbc.sql("select state, count(*), coalesce(sum(duration_seconds), 0), count(duration_seconds),"
                        + " min(started_at) from transcription_jobs where batch_id = :batch group by state")
                .param("batch", batchId)
                .query(rs -> {
                    JobState state = JobState.valueOf(rs.getString(1));
                    int n = rs.getInt(2);
                    double sum = rs.getDouble(3);
                    int known = rs.getInt(4);
                    Timestamp started = rs.getTimestamp(5);
                    counts.put(state, n);
                    if (state == JobState.SUCCEEDED) {
                        seconds[0] += sum;
                    }
                    if (state == JobState.QUEUED || state == JobState.RUNNING) {
                        seconds[1] += sum;
                        unknownUnfinished[0] += n - known;
                    }
                    if (state != JobState.CANCELLED) {
                        seconds[2] += sum;
                        seconds[3] += known;
                    }
                    if (started != null
                            && (first[0] == null || started.toInstant().isBefore(first[0]))) {
                        first[0] = started.toInstant();
                    }
                });
        Double remaining = null; // unknown: no items yet, or none probed
        if (!counts.isEmpty() && unknownUnfinished[0] == 0) {
            remaining = seconds[1];
        } else if (seconds[3] > 0) {
            remaining = seconds[1] + unknownUnfinished[0] * (seconds[2] / seconds[3]);
        }
        return new Tally(counts, seconds[0], remaining, first[0]);
    }

    /**
     * A page of the batches {@code scope} sees, newest first, after the batch {@code after}; in {@code status} and of
     * the key {@code keyId} when given (the operator's filters).
     */
    @Transactional(readOnly = true)
    BatchList list(Scope scope, String status, UUID keyId, String after, Integer limit) {
        int size = NewestFirst.pageSize(limit);
        NewestFirst query = new NewestFirst("transcription_batches", "true")
                .where("api_key_id = :key", "key", scope.keyId())
                .where("api_key_id = :filterKey", "filterKey", keyId)
                .where(
                        "state = :state",
                        "state",
                        status == null ? null : state(status).name());
        if (after != null) {
            TranscriptionBatch cursor = find(parseId(after), scope);
            query.after(cursor.createdAt(), cursor.id());
        }
        NewestFirst.Page page = query.read(jdbc, size);
        Map<UUID, TranscriptionBatch> found = new HashMap<>();
        batches.findAllById(page.ids()).forEach(b -> found.put(b.id(), b));
        return BatchList.of(
                page.ids().stream().map(id -> view(found.get(id), scope)).toList(), page.hasMore());
    }

    private static BatchState state(String status) {
        return Arrays.stream(BatchState.values())
                .filter(s -> s.name().equalsIgnoreCase(status))
                .findFirst()
                .orElseThrow(() -> ApiException.invalidRequest(
                        "Invalid value for 'status': '" + status + "'. Supported values are: "
                                + Arrays.stream(BatchState.values())
                                        .map(s -> "'" + s.name().toLowerCase(Locale.ROOT) + "'")
                                        .collect(Collectors.joining(", "))
                                + ".",
                        "status"));
    }

    /** A page of the batch's jobs, in item order, after the job {@code after}. */
    @Transactional(readOnly = true)
    JobList jobs(UUID id, Scope scope, String after, Integer limit) {
        find(id, scope);
        int size = NewestFirst.pageSize(limit);
        int from = 0;
        if (after != null) {
            TranscriptionJob cursor = jobs.findById(JobQueries.parseId(after).value())
                    .filter(j -> id.equals(j.batchId()))
                    .orElseThrow(() -> ApiException.invalidRequest(
                            "Invalid value for 'after': no job '" + after + "' in this batch.", "after"));
            from = cursor.batchIndex() + 1;
        }
        List<TranscriptionJob> page = jobs.findBatchItems(id, from, Limit.of(size + 1));
        boolean hasMore = page.size() > size;
        List<JobView> views = new ArrayList<>();
        for (TranscriptionJob job : hasMore ? page.subList(0, size) : page) {
            views.add(jobViews.view(job, scope).withoutResult());
        }
        return JobList.of(views, hasMore);
    }

    /** The batch's results ({@link #writeResults}), streamed once the batch is found in {@code scope}. */
    ResponseEntity<StreamingResponseBody> results(UUID id, Scope scope) {
        TranscriptionBatch batch = find(id, scope);
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/x-ndjson"))
                .body(out -> writeResults(batch, out));
    }

    /**
     * The results as JSON lines, one per item in item order, read a page at a time (each in a short transaction of
     * its own), so a batch of any size streams in constant memory: the item's place, job id, metadata and status,
     * and its transcript in the batch's format (a string for text, srt and vtt; an object for json formats) or its
     * error.
     */
    private void writeResults(TranscriptionBatch batch, OutputStream out) throws IOException {
        JobSpec spec = json.readValue(batch.options(), JobSpec.class);
        ResponseFormat format =
                ResponseFormat.fromWireName(spec.responseFormat()).orElse(ResponseFormat.JSON);
        int from = 0;
        while (true) {
            int start = from;
            List<String> lines = transactions.execute(status -> {
                List<String> rendered = new ArrayList<>();
                for (TranscriptionJob job : jobs.findBatchItems(batch.id(), start, Limit.of(RESULTS_PAGE))) {
                    rendered.add(line(job, format, spec));
                }
                return rendered;
            });
            for (String line : lines) {
                out.write(line.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
            out.flush();
            if (lines.size() < RESULTS_PAGE) {
                return;
            }
            from += RESULTS_PAGE;
        }
    }

    private String line(TranscriptionJob job, ResponseFormat format, JobSpec spec) {
        JsonNode transcript = null;
        String reusedFrom = null;
        OpenAiError.Body error = null;
        if (job.state() == JobState.SUCCEEDED && job.transcriptJson() != null) {
            RenderedTranscript rendered = renderer.render(
                    codec.read(job.transcriptJson()), format, spec.timestampGranularities(), spec.task());
            transcript = rendered.contentType().startsWith("application/json")
                    ? json.readTree(rendered.body())
                    : json.getNodeFactory().stringNode(rendered.body());
            reusedFrom = job.reusedFrom() == null ? null : job.reusedFrom().toString();
        } else if (job.state() == JobState.FAILED) {
            error = OpenAiError.of(
                            ApiException.jobFailed(job.failureCode(), job.failureMessage(), job.failureResetsAt()))
                    .error();
        }
        return json.writeValueAsString(new BatchResult(
                job.batchIndex(),
                job.id().toString(),
                new TreeMap<>(job.metadata()),
                job.state().wireName(),
                transcript,
                reusedFrom,
                error));
    }

    private static Long epoch(Instant at) {
        return at == null ? null : at.getEpochSecond();
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }

    static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw notFound(id);
        }
    }

    static ApiException notFound(String id) {
        return new ApiException(
                HttpStatus.NOT_FOUND,
                "invalid_request_error",
                "not_found",
                "id",
                "No transcription batch '" + id + "'.");
    }
}
