package dev.transcriber.api.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.common.transcript.Transcript;

/** A job as {@code GET /v1/transcription_jobs/{id}} shows it: its state, and its result or error once it ended. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobView(
        String id,
        String object,
        String status,
        String model,
        String response_format,
        long created_at,
        Long finished_at,
        String upstream_account,
        Transcript result,
        OpenAiError.Body error) {}
