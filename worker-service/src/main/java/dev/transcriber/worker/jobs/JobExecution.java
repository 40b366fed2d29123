package dev.transcriber.worker.jobs;

import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.worker.accounts.AllAccountsCoolingException;
import dev.transcriber.worker.accounts.DeadlineExceededException;
import dev.transcriber.worker.accounts.NoAccountsException;
import dev.transcriber.worker.accounts.UpstreamCall;
import dev.transcriber.worker.accounts.UpstreamException;
import dev.transcriber.worker.accounts.UpstreamTranscriber;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Runs one claimed job: audio from the object store to an upstream account, the outcome into the job row. */
@Component
class JobExecution {

    private static final Logger log = LoggerFactory.getLogger(JobExecution.class);

    /** Upstream refusals that are about the caller's request, not about our account. */
    private static final Set<Integer> CALLER_ERRORS = Set.of(400, 413, 415, 422);

    private final JobLifecycle lifecycle;
    private final UpstreamTranscriber transcriber;
    private final ObjectStore store;
    private final ModelCatalog catalog;

    JobExecution(JobLifecycle lifecycle, UpstreamTranscriber transcriber, ObjectStore store, ModelCatalog catalog) {
        this.lifecycle = lifecycle;
        this.transcriber = transcriber;
        this.store = store;
        this.catalog = catalog;
    }

    void run(TranscriptionJob job) {
        try {
            Optional<CatalogModel> model = catalog.resolve(job.spec().model());
            if (model.isEmpty()) {
                lifecycle.fail(
                        job.id(),
                        FailureCode.INVALID_AUDIO,
                        "Unknown model '" + job.spec().model() + "'.");
                return;
            }
            UpstreamTranscriber.Result result = transcriber.transcribe(call(job.spec(), job.audio(), model.get()));
            lifecycle.succeed(job.id(), result.transcript(), result.accountId());
        } catch (NoAccountsException e) {
            lifecycle.fail(job.id(), FailureCode.NO_ACCOUNTS, "No upstream accounts available");
        } catch (AllAccountsCoolingException e) {
            lifecycle.failRateLimited(job.id(), e.resetsAt());
        } catch (UpstreamException.Rejected e) {
            if (CALLER_ERRORS.contains(e.status())) {
                lifecycle.fail(
                        job.id(),
                        FailureCode.INVALID_AUDIO,
                        "The upstream service rejected the request: " + e.getMessage());
            } else {
                lifecycle.fail(job.id(), FailureCode.UPSTREAM_ERROR, "Upstream transcription service error");
            }
        } catch (UpstreamException.Retryable
                | UpstreamException.RateLimited
                | UpstreamException.Unauthorized
                | DeadlineExceededException e) {
            lifecycle.fail(job.id(), FailureCode.UPSTREAM_ERROR, "Upstream transcription service error");
        } catch (RuntimeException e) {
            // The lease runs out and the reaper puts the job back in the queue (bounded by max-attempts).
            log.error("job {} interrupted by an unexpected error; it will be retried after its lease", job.id(), e);
        }
    }

    private UpstreamCall call(JobSpec spec, StoredAudio audio, CatalogModel model) {
        return new UpstreamCall(
                model.id(),
                model.upstreamName(),
                spec.language(),
                spec.prompt(),
                spec.temperature(),
                audio.filename(),
                audio.contentType(),
                audio.sizeBytes(),
                () -> store.open(audio.objectKey()));
    }
}
