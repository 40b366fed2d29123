package dev.transcriber.api;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the api service, under {@code transcriber.api}. {@code defaultRequestsPerMinute} limits keys that have
 * no limit of their own (0: such keys are not counted and carry no rate-limit headers).
 *
 * <p>Limits on what callers send besides the audio: {@code maxJsonBodySize} bounds every JSON body (a job, a key),
 * {@code maxBatchBodySize} a batch's (its item list), both counted while the body is read, so an endless body is
 * refused with 413 after that many bytes; {@code maxPromptLength} is in characters.
 *
 * <p>{@code drain}: on shutdown, how long held sync requests are still answered (their jobs ending) before those left
 * get a 503 with {@code Retry-After}; keep it under {@code spring.lifecycle.timeout-per-shutdown-phase}.
 *
 * @param maxUploadSize The largest audio file a request may carry; a larger one gets 413 {@code file_too_large} and
 *     nothing is left in the store.
 * @param syncTimeout How long a sync request waits for its job before it gets 504 {@code timeout} (the job goes on).
 * @param completionPollInterval How often the api looks in the database for held jobs that ended, in case their
 *     completion event was missed.
 * @param bootstrapKeys Caller keys created at start-up if missing (stored hashed; 128 bits or more, or the api does not
 *     start).
 * @param bootstrapWebhookSecret The webhook signing secret ({@code whsec_...}) of the bootstrap keys; empty: one is
 *     generated.
 * @param defaultRequestsPerMinute Requests a minute for keys without a limit of their own; 0: such keys are not counted
 *     and carry no rate-limit headers.
 * @param maxJsonBodySize The largest JSON body (a job, a key), counted while read; a larger one gets 413
 *     {@code request_too_large}.
 * @param maxBatchBodySize The largest body of {@code POST /v1/transcription_batches}, counted while read.
 * @param maxPromptLength The longest {@code prompt}, in characters.
 * @param drain On shutdown, how long held sync requests are still answered as their jobs end before the rest get 503
 *     {@code shutting_down} with {@code Retry-After}; keep it under
 *     {@code spring.lifecycle.timeout-per-shutdown-phase}.
 * @param maxSpeakerReferenceSize The largest value of one {@code known_speaker_references[]} field (a data URL of a
 *     clip, base64: about 430 KB for 10 s of 16 kHz mono WAV, 2.6 MB for 48 kHz stereo); at most 4 are read, held in
 *     memory until stored, apart from the 1 MiB other text fields share. A larger one gets 413
 *     {@code request_too_large}.
 * @param unknownKeyLookups How many database look-ups of bearers this instance has not seen as keys may run at once
 *     (guesses, new keys); a key seen active before is looked up again without this limit.
 * @param unknownKeyLookupWait How long a look-up of a bearer this instance has not seen as a key waits for its turn
 *     (see unknown-key-lookups) before the request gets 503 {@code server_busy} with {@code Retry-After}.
 */
@ConfigurationProperties("transcriber.api")
public record ApiProperties(
        @DefaultValue("1GB") DataSize maxUploadSize,
        @DefaultValue("30m") Duration syncTimeout,
        @DefaultValue("2s") Duration completionPollInterval,
        @DefaultValue List<String> bootstrapKeys,
        @DefaultValue("") String bootstrapWebhookSecret,
        @DefaultValue("3000") int defaultRequestsPerMinute,
        @DefaultValue("1MB") DataSize maxJsonBodySize,
        @DefaultValue("32MB") DataSize maxBatchBodySize,
        @DefaultValue("2000") int maxPromptLength,
        @DefaultValue("30s") Duration drain,
        @DefaultValue("3MB") DataSize maxSpeakerReferenceSize,
        @DefaultValue("4") int unknownKeyLookups,
        @DefaultValue("2s") Duration unknownKeyLookupWait) {}
