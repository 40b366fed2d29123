package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.web.HandOffRoute;
import dev.transcriber.common.web.OpenAiErrorBody;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The internal route by which an api instance hands a sync call's job to this worker directly, with the internal
 * token only ({@code WorkerSecurity}): the job is run on this request, if a slot is free at once
 * ({@link JobDispatcher#runHere}). Answers 200 with the job's end notice ({@code JobFinished}) when it ended here (and
 * the trace of its end in {@link HandOffRoute#END_TRACE_HEADER}), 202
 * when it ran here and its end is announced as usual, 409 when it was taken or had ended, 503 when no slot was free
 * (Tomcat closes the connection after a 503, so the api keeps none to a full worker).
 * The api sends the job's event for anything but 200, 202 and 409. The call's body may carry the job's audio as the
 * api stored it (at most {@link HandOffRoute#MAX_CARRIED_BYTES}), read only once a slot is taken; the run takes it
 * instead of reading the stored object when it is exactly the job's audio (its length and SHA-256).
 */
@RestController
class DirectRunController {

    private final JobDispatcher dispatcher;
    private final EventCodec codec;
    private final Counter endedHere;
    private final Counter ran;
    private final Counter notClaimable;
    private final Counter noSlot;

    DirectRunController(JobDispatcher dispatcher, EventCodec codec, MeterRegistry meters) {
        this.dispatcher = dispatcher;
        this.codec = codec;
        this.endedHere = counter(meters, "ended_here");
        this.ran = counter(meters, "ran");
        this.notClaimable = counter(meters, "not_claimable");
        this.noSlot = counter(meters, "no_slot");
    }

    @PostMapping(HandOffRoute.PATH)
    ResponseEntity<String> run(
            @PathVariable String id,
            @RequestHeader(name = Traces.TRACEPARENT, required = false) String traceparent,
            HttpServletRequest request) {
        JobId job = jobId(id);
        if (job == null) {
            return refusal(HttpStatus.NOT_FOUND, "The path names no job.", "invalid_request_error", "not_found");
        }
        return switch (dispatcher.runHere(job, Traces.header(traceparent), () -> carriedAudio(request))) {
            case JobDispatcher.DirectRun.Ran(var end)
            when end != null ->
                counted(
                        endedHere,
                        ResponseEntity.ok()
                                .contentType(MediaType.APPLICATION_JSON)
                                .header(
                                        HandOffRoute.END_TRACE_HEADER,
                                        end.traceparent() == null ? "" : end.traceparent())
                                .body(codec.write(end.notice())));
            case JobDispatcher.DirectRun.Ran r ->
                counted(
                        ran,
                        ResponseEntity.accepted()
                                .contentType(MediaType.APPLICATION_JSON)
                                .body("{}"));
            case JobDispatcher.DirectRun.NotClaimed n ->
                counted(
                        notClaimable,
                        refusal(
                                HttpStatus.CONFLICT,
                                "The job is taken or has ended.",
                                "invalid_request_error",
                                "not_claimable"));
            case JobDispatcher.DirectRun.NoSlot n ->
                counted(
                        noSlot,
                        refusal(
                                HttpStatus.SERVICE_UNAVAILABLE,
                                "No slot is free on this worker.",
                                "server_error",
                                "no_slot"));
        };
    }

    /**
     * The job's audio, when the call's body carries it (its length declared, at most {@link
     * HandOffRoute#MAX_CARRIED_BYTES}); null when it carries none, more, or its bytes do not all come (the run reads
     * the stored object then; whether the bytes are the job's audio at all is the run's to judge: its length and
     * SHA-256).
     */
    private byte[] carriedAudio(HttpServletRequest request) {
        long length = request.getContentLengthLong();
        if (length <= 0 || length > HandOffRoute.MAX_CARRIED_BYTES) {
            return null;
        }
        try {
            byte[] audio = request.getInputStream().readNBytes((int) length);
            return audio.length == length ? audio : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static ResponseEntity<String> counted(Counter outcome, ResponseEntity<String> answer) {
        outcome.increment();
        return answer;
    }

    /**
     * {@code transcriber.worker.hand_offs}, per {@code outcome}: {@code ended_here} (answered with its end), {@code
     * ran} (its end announced as usual), {@code not_claimable}, {@code no_slot}.
     */
    private static Counter counter(MeterRegistry meters, String outcome) {
        return Counter.builder("transcriber.worker.hand_offs")
                .description("Sync jobs handed to this worker directly by an api instance, by what became of them")
                .tag("outcome", outcome)
                .register(meters);
    }

    private static JobId jobId(String id) {
        try {
            return new JobId(UUID.fromString(id));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static ResponseEntity<String> refusal(HttpStatus status, String message, String type, String code) {
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .body(new String(OpenAiErrorBody.of(message, type, code, null), StandardCharsets.UTF_8));
    }
}
