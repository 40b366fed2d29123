package dev.transcriber.worker.accounts;

import dev.transcriber.common.transcript.Transcript;
import java.time.Duration;

/** Something that turns audio into a transcript for an account of its kind: an HTTP API, or the local engine. */
public interface TranscriptionProvider {

    boolean handles(AccountsProperties.ProviderKind kind);

    /** Throws {@link UpstreamException} subtypes, which say whether and how to try again. */
    Transcript transcribe(UpstreamAccount account, UpstreamCall call, Duration timeLeft);
}
