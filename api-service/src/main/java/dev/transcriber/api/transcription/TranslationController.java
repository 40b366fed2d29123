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
 * {@code POST /v1/audio/translations}, as OpenAI defines it: audio in any language to English text, held until the
 * job ends as {@code /v1/audio/transcriptions} is (same keys, limits, {@code Idempotency-Key} and job id header).
 */
@RestController
class TranslationController {

    private final Transcriptions transcriptions;

    TranslationController(Transcriptions transcriptions) {
        this.transcriptions = transcriptions;
    }

    @PostMapping("/v1/audio/translations")
    Object create(
            HttpServletRequest request,
            HttpServletResponse response,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller,
            @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) {
        JobId jobId = JobId.random();
        response.setHeader(TranscriptionController.JOB_ID_HEADER, jobId.toString());
        return transcriptions.translate(jobId, caller, request, response, idempotencyKey);
    }
}
