package dev.transcriber.api.transcription;

import dev.transcriber.api.keys.Caller;
import dev.transcriber.common.events.JobId;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/audio/transcriptions}, as OpenAI defines it. The request is held on its own virtual thread (no
 * platform thread pinned) until the job ends, or streamed as server-sent events with {@code stream=true}; the job id
 * is in {@value #JOB_ID_HEADER} on every answer, success or error. With an {@code Idempotency-Key}, a retry of the same
 * request (a dropped connection) attaches to the first one's job and gets its answer: no second job, no second call.
 */
@RestController
class TranscriptionController {

    static final String JOB_ID_HEADER = "X-Transcription-Job-Id";

    private final Transcriptions transcriptions;

    TranscriptionController(Transcriptions transcriptions) {
        this.transcriptions = transcriptions;
    }

    @PostMapping("/v1/audio/transcriptions")
    Object create(
            HttpServletRequest request,
            HttpServletResponse response,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller,
            @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) {
        JobId jobId = JobId.random();
        response.setHeader(JOB_ID_HEADER, jobId.toString());
        return transcriptions.transcribe(jobId, caller, request, response, idempotencyKey);
    }
}
