package dev.transcriber.worker.jobs;

import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.lifecycle.JobEnds;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.TranscriptCodec;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * A job that allows it takes the transcript of an earlier finished job of the same key with the same audio (the same
 * content hash, or the same URL it was first named by) and the same options, instead of paying the upstream again.
 * The reused job has no usage of its own (no upstream call), so nothing goes in the usage ledger.
 */
@Component
class JobReuse {

    private final JobRepository jobs;
    private final TranscriptCodec codec;
    private final ModelCatalog catalog;
    private final JobEnds ends;
    private final ClaimFence fence;
    private final Clock clock;

    JobReuse(
            JobRepository jobs,
            TranscriptCodec codec,
            ModelCatalog catalog,
            JobEnds ends,
            ClaimFence fence,
            Clock clock) {
        this.fence = fence;
        this.jobs = jobs;
        this.codec = codec;
        this.catalog = catalog;
        this.ends = ends;
        this.clock = clock;
    }

    /**
     * Records the audio's hash (when given) and ends the job with an earlier job's transcript when there is one; true
     * when the job needs no upstream call (reused, or it ended meanwhile).
     */
    @Transactional
    public boolean tryReuse(Claim claim, String sha256) {
        TranscriptionJob job = jobs.findById(claim.job().value()).orElseThrow();
        if (!fence.holds(job, claim, "reuse")) {
            return true; // cancelled meanwhile
        }
        if (sha256 != null) {
            job.contentHash(sha256);
        }
        if (job.contentSha256() == null && job.audioOrigin() == null) {
            return false;
        }
        Optional<TranscriptionJob> earlier = jobs
                .findSameAudio(job.apiKeyId(), job.id().value(), job.contentSha256(), job.audioOrigin(), Limit.of(20))
                .stream()
                .filter(candidate -> sameOptions(job.spec(), candidate))
                .findFirst();
        if (earlier.isEmpty()) {
            return false;
        }
        Transcript transcript = codec.read(earlier.get().transcriptJson()).withUsage(null);
        if (!job.spec().logprobs()) {
            transcript = transcript.withLogprobs(null); // not asked for: not answered
        }
        job.succeedReusing(earlier.get(), codec.write(transcript), clock.instant());
        ends.announce(job);
        return true;
    }

    /**
     * The same model, task and options, and timestamps (logprobs) in the earlier transcript if this job's format
     * (include) needs them. A job with known speakers is never reused: its clips are its own.
     */
    private boolean sameOptions(JobSpec wanted, TranscriptionJob candidate) {
        JobSpec had = candidate.spec();
        boolean needsTimestamps = ResponseFormat.fromWireName(wanted.responseFormat())
                .map(ResponseFormat::needsTimestamps)
                .orElse(false);
        boolean needsSpeakers = ResponseFormat.DIARIZED_JSON.wireName().equals(wanted.responseFormat());
        return modelId(wanted.model()).equals(modelId(had.model()))
                && wanted.task() == had.task()
                && Objects.equals(wanted.language(), had.language())
                && Objects.equals(wanted.prompt(), had.prompt())
                && Objects.equals(wanted.temperature(), had.temperature())
                && Objects.equals(wanted.chunkingStrategy(), had.chunkingStrategy())
                && wanted.knownSpeakers().isEmpty()
                && had.knownSpeakers().isEmpty()
                && (!needsTimestamps || codec.read(candidate.transcriptJson()).hasTimestamps())
                && (!wanted.logprobs() || codec.read(candidate.transcriptJson()).logprobs() != null)
                && (!needsSpeakers || codec.read(candidate.transcriptJson()).hasSpeakers());
    }

    private String modelId(String model) {
        return catalog.resolve(model).map(CatalogModel::id).orElse(model);
    }
}
