package dev.transcriber.api.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import java.util.Map;

/**
 * A job as {@code /v1/transcription_jobs} shows it: its state, progress (pieces of long audio done), timestamps
 * (Unix seconds), what the caller attached, and its usage and result or error once it ended; for an item of a batch,
 * the batch; for a job that took an earlier job's transcript of the same audio, that job (and no usage of its own).
 * The operator's views ({@code /admin/jobs}) also name the job's key ({@code key_id}). {@code task} is
 * {@code transcribe} or {@code translate}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobView(
        String id,
        String object,
        String status,
        String model,
        String response_format,
        long created_at,
        Long started_at,
        Long finished_at,
        Progress progress,
        Map<String, String> metadata,
        String webhook_url,
        Usage usage,
        String upstream_account,
        Transcript result,
        OpenAiError.Body error,
        Boolean deleted,
        String batch_id,
        String reused_from,
        String key_id,
        String task) {

    /** Pieces of a job cut into pieces; null total while it is still being cut. */
    public record Progress(int pieces_done, Integer pieces_total) {}

    /** The same job without its transcript, as lists show it. */
    public JobView withoutResult() {
        return new JobView(
                id,
                object,
                status,
                model,
                response_format,
                created_at,
                started_at,
                finished_at,
                progress,
                metadata,
                webhook_url,
                usage,
                upstream_account,
                null,
                error,
                deleted,
                batch_id,
                reused_from,
                key_id,
                task);
    }
}
