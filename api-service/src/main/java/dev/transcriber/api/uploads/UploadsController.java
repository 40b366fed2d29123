package dev.transcriber.api.uploads;

import dev.transcriber.api.keys.Caller;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/transcription_uploads}: a presigned URL to PUT large audio to, for a job to name later. */
@RestController
class UploadsController {

    private final Uploads uploads;

    UploadsController(Uploads uploads) {
        this.uploads = uploads;
    }

    @PostMapping("/v1/transcription_uploads")
    Upload create(@RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return uploads.create(caller);
    }
}
