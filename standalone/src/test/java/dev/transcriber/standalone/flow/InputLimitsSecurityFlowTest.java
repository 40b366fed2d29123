package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.StorageProperties;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hostile and malformed input on the real system (embedded Kafka, PostgreSQL, S3): each refusal is a 4xx in OpenAI's
 * error shape, and leaves no job row and no object behind.
 */
class InputLimitsSecurityFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";
    private static final String SUPPORTED =
            "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav',"
                    + " 'webm']";

    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    @BeforeEach
    void setUp() {
        system = TestSystem.embedded();
        upstream = system.upstream();
        system.resetUpstream();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"fine\"}")));
        client = new ApiClient(system.apiBaseUrl());
    }

    // --- item 9: bad input gets OpenAI's shape and a 4xx -------------------------------------------------------

    @Test
    void aLanguageThatIsNotIso6391IsRefusedOnBothEndpoints() {
        HttpResponse<String> sync =
                refused(() -> client.transcribe(wav("clip.wav").field("language", "english")));
        assertError(
                sync,
                400,
                "invalid_language_format",
                "language",
                "Invalid language 'english'. Language parameter must be specified in ISO-639-1 format.");
        assertError(
                refused(() -> client.transcribe(wav("clip.wav").field("language", "xx"))),
                400,
                "invalid_language_format",
                "language",
                "Invalid language 'xx'. Language parameter must be specified in ISO-639-1 format.");

        HttpResponse<String> job = refused(() -> submitJson(
                "{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\",\"language\":\"en-US\"}"));
        assertError(
                job,
                400,
                "invalid_language_format",
                "language",
                "Invalid language 'en-US'. Language parameter must be specified in ISO-639-1 format.");
    }

    @Test
    void timestampGranularitiesNeedVerboseJson() {
        HttpResponse<String> response = refused(() -> client.transcribe(
                wav("clip.wav").field("response_format", "json").field("timestamp_granularities[]", "word")));

        assertError(
                response,
                400,
                "invalid_request_error",
                "timestamp_granularities[]",
                "`response_format` must be `verbose_json` if `timestamp_granularities[]` is provided");
        assertError(
                refused(() -> client.transcribe(new Multipart()
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                        .field("model", "whisper-1")
                        .field("timestamp_granularities[]", "segment"))),
                400,
                "invalid_request_error",
                "timestamp_granularities[]",
                "`response_format` must be `verbose_json` if `timestamp_granularities[]` is provided");
    }

    @Test
    void textFieldsAreBoundedOneByOneAndTogether() {
        assertError(
                refused(() -> client.transcribe(wav("clip.wav").field("prompt", "x".repeat(256 * 1024 + 1)))),
                400,
                "invalid_request_error",
                "prompt",
                "The form field 'prompt' is too long.");
        Multipart many = wav("clip.wav");
        for (int i = 0; i < 1000; i++) {
            many.field("include[]", "logprobs");
        }
        assertError(
                refused(() -> client.transcribe(many)),
                400,
                "invalid_request_error",
                null,
                "The form has more than 1000 text fields.");
        Multipart large = wav("clip.wav");
        for (int i = 0; i < 5; i++) {
            large.field("metadata[k" + i + "]", "x".repeat(250 * 1024));
        }
        assertError(
                refused(() -> client.submitJob(large, TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                null,
                "The form's text fields are larger than 1048576 bytes.");
    }

    @Test
    void fieldNamesCountAgainstTheFormsBudgetAndAreNotEchoedWhole() {
        // 100 empty fields, each with its own 15,000-character name: 1.5 MB of names and no value at all.
        Multipart named = wav("clip.wav");
        for (int i = 0; i < 100; i++) {
            named.field(i + "x".repeat(15_000), "");
        }
        assertError(
                refused(() -> client.submitJob(named, TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                null,
                "The form's text fields are larger than 1048576 bytes.");
        // A field too long under a 10,000-character name: the answer names it by its first 64 characters.
        String name = "n".repeat(10_000);
        assertError(
                refused(() -> client.transcribe(wav("clip.wav").field(name, "x".repeat(256 * 1024 + 1)))),
                400,
                "invalid_request_error",
                "n".repeat(64) + "...",
                "The form field '" + "n".repeat(64) + "...' is too long.");
    }

    @Test
    void speakerReferencesHaveTheirOwnAllowanceButNotAnEndlessOne() {
        // Five clips are one more than OpenAI's maxItems: refused as soon as the fifth starts, before it is read.
        Multipart five = wav("clip.wav");
        for (int i = 0; i < 5; i++) {
            five.field("known_speaker_references[]", "data:audio/wav;base64,AAAA");
        }
        assertError(
                refused(() -> client.transcribe(five)),
                400,
                "invalid_request_error",
                "known_speaker_references[]",
                "Invalid 'known_speaker_references': at most 4 known speaker references can be given.");
        // One clip over transcriber.api.max-speaker-reference-size (3 MB): 413, whatever else the form holds.
        String huge = "data:audio/wav;base64," + "A".repeat(3 * 1024 * 1024);
        HttpResponse<String> tooLarge =
                refused(() -> client.transcribe(wav("clip.wav").field("known_speaker_references[]", huge)));
        assertError(
                tooLarge,
                413,
                "request_too_large",
                "known_speaker_references[]",
                "A known speaker reference is larger than 3145728 bytes; send clips of 1.2 to 10 seconds, in a"
                        + " compact format.");
    }

    @Test
    void twoFilePartsAreRefused() {
        Multipart form = new Multipart()
                .file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5))
                .file("file", "b.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1");

        assertError(
                refused(() -> client.transcribe(form)),
                400,
                "invalid_request_error",
                "file",
                "Expected one 'file' part, got more than one.");
        assertError(
                refused(() -> client.submitJob(form, TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "file",
                "Expected one 'file' part, got more than one.");
    }

    @Test
    void aJobWithBothAFileAndAnAudioUrlIsRefused() {
        assertError(
                refused(() -> client.submitJob(
                        wav("clip.wav").field("audio_url", "https://example.com/other.mp3"), TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "audio_url",
                "Give the audio as exactly one of 'file', 'audio_url' or 'upload_id'.");
        assertError(
                refused(() ->
                        client.submitJob(wav("clip.wav").field("upload_id", "upload_123"), TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "upload_id",
                "Give the audio as exactly one of 'file', 'audio_url' or 'upload_id'.");
    }

    @Test
    void aContentEncodingTheServerDoesNotDecodeIsRefused() {
        Multipart form = wav("clip.wav");
        HttpResponse<String> sync = refused(() -> client.send(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", form.contentType())
                .header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                .build()));
        assertError(
                sync,
                415,
                "unsupported_content_encoding",
                null,
                "Unsupported Content-Encoding 'gzip': send the request body uncompressed.");

        HttpResponse<String> job = refused(() -> client.send(client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .header("Content-Encoding", "br")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\"}"))
                .build()));
        assertError(
                job,
                415,
                "unsupported_content_encoding",
                null,
                "Unsupported Content-Encoding 'br': send the request body uncompressed.");
    }

    @Test
    void aFileNamedWithANonAudioExtensionIsRefusedEvenIfItsContentDecodes() {
        for (String name : new String[] {"report.docx", "notes.txt", "clip.wav.exe", "C:\\Users\\me\\a.pdf"}) {
            assertError(refused(() -> client.transcribe(wav(name))), 400, "invalid_request_error", "file", SUPPORTED);
            assertError(
                    refused(() -> client.submitJob(wav(name), TestSystem.API_KEY, null)),
                    400,
                    "invalid_request_error",
                    "file",
                    SUPPORTED);
        }
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .isEmpty();
    }

    @Test
    void aFileNamedWithoutAnExtensionOrInUpperCaseIsJudgedByItsContent() {
        HttpResponse<String> bare = client.transcribe(wav("recording"));
        HttpResponse<String> upper = client.transcribe(wav("CLIP.WAV"));

        assertThat(bare.statusCode()).as(bare.body()).isEqualTo(200);
        assertThat(upper.statusCode()).as(upper.body()).isEqualTo(200);
        assertThat(JSON.readTree(bare.body()).path("text").asString()).isEqualTo("fine");
    }

    // --- item 6: size limits on everything a caller sends as text ------------------------------------------

    @Test
    void aJobBodyOverOneMegabyteIs413WhetherItsLengthIsDeclaredOrNot() {
        String padding = "a".repeat(1024 * 1024);
        String body = "{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\",\"x\":\"" + padding + "\"}";

        assertError(
                refused(() -> submitJson(body)),
                413,
                "request_too_large",
                null,
                "The request body is larger than the limit of 1048576 bytes.");
        // chunked, no Content-Length: refused while it is read
        assertError(
                refused(() -> client.send(jsonJob()
                        .POST(HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream(body.getBytes())))
                        .build())),
                413,
                "request_too_large",
                null,
                "The request body is larger than the limit of 1048576 bytes.");
    }

    @Test
    void anEndlessJsonBodyIsCutOffAfterTheLimitNotReadToTheEnd() {
        Endless endless = new Endless("{\"model\":\"", 500L * 1024 * 1024);

        HttpResponse<String> response = refused(() -> sendCountingFailures(jsonJob()
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> endless))
                .build()));

        if (response != null) {
            assertThat(response.statusCode()).isEqualTo(413);
        }
        assertThat(endless.sent()).as("bytes the server took of a 500 MB body").isLessThan(64L * 1024 * 1024);
    }

    @Test
    void anOversizedUploadIsRefusedWithoutSwallowingTheRestOfIt() {
        // declared 200 MB, over the 2 MB upload limit: refused from its Content-Length; the rest is not read
        long declared = 200L * 1024 * 1024;
        Multipart head = new Multipart().field("model", "whisper-1");
        Endless endless = new Endless("", declared);

        HttpResponse<String> response = refused(() -> sendCountingFailures(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", head.contentType())
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> endless), declared))
                .build()));

        if (response != null) {
            assertThat(response.statusCode()).isEqualTo(413);
        }
        assertThat(endless.sent()).as("bytes the server took").isLessThan(64L * 1024 * 1024);
    }

    @Test
    void aBatchMayCarryALargerItemListThanAJob() {
        StringBuilder items = new StringBuilder();
        String value = "v".repeat(500);
        for (int i = 0; i < 4000; i++) {
            items.append(i == 0 ? "" : ",")
                    .append("{\"audio_url\":\"https://example.com/ep/")
                    .append(i)
                    .append(".mp3\",\"metadata\":{\"note\":\"")
                    .append(value)
                    .append("\"}}");
        }
        // over the 1 MB job limit, under the batch limit: read to the end (the unknown model is its last field)
        String body = "{\"items\":[" + items + "],\"model\":\"no-such-model\"}";
        assertThat(body.length()).isGreaterThan(2 * 1024 * 1024);

        HttpResponse<String> response = refused(() -> client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").path("param").asString())
                .isEqualTo("model");
    }

    @Test
    void aBatchNamingMoreHostsThanAllowedIsRefusedBeforeAnyIsLookedUp() {
        // each distinct host is a DNS look-up at submission: a batch of 10,000 hosts made the api ask the resolver
        // 10,000 times for one request
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            items.append(i == 0 ? "" : ",")
                    .append("{\"audio_url\":\"https://host-")
                    .append(i)
                    .append(".example.com/episode.mp3\"}");
        }
        String body = "{\"items\":[" + items + "],\"model\":\"gpt-4o-transcribe\"}";

        HttpResponse<String> response = refused(() -> client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build()));

        assertError(
                response,
                400,
                "invalid_request_error",
                "items",
                "A batch's 'audio_url' items may name at most 100 different hosts; this one names 101. Send them"
                        + " in smaller batches.");
    }

    @Test
    void aPromptOverTheDocumentedLengthIsRefusedOnBothEndpoints() {
        String message = "Invalid 'prompt': string too long. Expected a string with maximum length 2000, but got a"
                + " string with length 2001 instead.";
        assertError(
                refused(() -> client.transcribe(wav("clip.wav").field("prompt", "p".repeat(2001)))),
                400,
                "invalid_request_error",
                "prompt",
                message);
        assertError(
                refused(() -> submitJson("{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\","
                        + "\"prompt\":\"" + "p".repeat(2001) + "\"}")),
                400,
                "invalid_request_error",
                "prompt",
                message);

        HttpResponse<String> atTheLimit = client.transcribe(wav("clip.wav").field("prompt", "p".repeat(2000)));
        assertThat(atTheLimit.statusCode()).as(atTheLimit.body()).isEqualTo(200);
    }

    @Test
    void metadataIsLimitedInCountKeyAndValueLength() {
        Multipart seventeen = wav("clip.wav");
        StringBuilder json = new StringBuilder();
        for (int i = 0; i < 17; i++) {
            seventeen.field("metadata[k" + i + "]", "v");
            json.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        assertError(
                refused(() -> client.submitJob(seventeen, TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "metadata",
                "Invalid metadata: at most 16 pairs, got 17.");
        assertError(
                refused(() -> submitJson(
                        "{\"model\":\"whisper-1\",\"upload_id\":\"upload_none\"," + "\"metadata\":{" + json + "}}")),
                400,
                "invalid_request_error",
                "metadata",
                "Invalid metadata: at most 16 pairs, got 17.");
        for (String pair : new String[] {"\"" + "k".repeat(65) + "\":\"v\"", "\"k\":\"" + "v".repeat(513) + "\""}) {
            assertError(
                    refused(() -> submitJson("{\"model\":\"whisper-1\",\"upload_id\":\"upload_none\","
                            + "\"metadata\":{" + pair + "}}")),
                    400,
                    "invalid_request_error",
                    "metadata",
                    "Invalid metadata: keys are 1 to 64 characters and values at most 512.");
        }
    }

    @Test
    void oversizedHeadersAreRefused() {
        HttpResponse<String> response = refused(() -> client.send(client.request("/v1/models")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("X-Padding", "p".repeat(64 * 1024))
                .GET()
                .build()));

        assertThat(response.statusCode()).isBetween(400, 431);
        assertThat(client.get("/v1/models").statusCode())
                .as("the server still answers")
                .isEqualTo(200);
    }

    @Test
    void anIdempotencyKeyOverItsLengthIsRefusedBeforeAnythingIsStored() {
        // 3,000 characters passed the controllers and broke PostgreSQL's index (a 503 "database unavailable")
        String huge = "k".repeat(3000);
        String message = "Invalid 'Idempotency-Key': at most 255 characters, got 3000.";
        assertError(
                refused(() -> client.send(form("/v1/audio/transcriptions", wav("clip.wav"))
                        .header("Idempotency-Key", huge)
                        .build())),
                400,
                "invalid_request_error",
                "Idempotency-Key",
                message);
        assertError(
                refused(() -> client.submitJob(wav("clip.wav"), TestSystem.API_KEY, huge)),
                400,
                "invalid_request_error",
                "Idempotency-Key",
                message);
        assertError(
                refused(() -> client.send(jsonJob()
                        .header("Idempotency-Key", "k".repeat(256))
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\"}"))
                        .build())),
                400,
                "invalid_request_error",
                "Idempotency-Key",
                "Invalid 'Idempotency-Key': at most 255 characters, got 256.");

        HttpResponse<String> atTheLimit = client.submitJob(wav("clip.wav"), TestSystem.API_KEY, "k".repeat(255));
        assertThat(atTheLimit.statusCode()).as(atTheLimit.body()).isEqualTo(202);
    }

    @Test
    void textWithANulCharacterIsRefusedNamingItsField() {
        // PostgreSQL stores no NUL in text: these were 500s, or a 202 for a batch that then failed
        String message = "Invalid value for '%s': text must not contain NUL characters (\\u0000).";
        assertError(
                refused(() -> client.transcribe(wav("clip.wav").field("prompt", "a\u0000b"))),
                400,
                "invalid_request_error",
                "prompt",
                message.formatted("prompt"));
        assertError(
                refused(() ->
                        client.submitJob(wav("clip.wav").field("metadata[k]", "v\u0000"), TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "metadata[k]",
                message.formatted("metadata[k]"));
        assertError(
                refused(() -> submitJson("{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\","
                        + "\"prompt\":\"a\\u0000b\"}")),
                400,
                "invalid_request_error",
                "prompt",
                message.formatted("prompt"));
        assertError(
                refused(() -> submitJson("{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\","
                        + "\"metadata\":{\"k\":\"v\\u0000\"}}")),
                400,
                "invalid_request_error",
                "metadata.k",
                message.formatted("metadata.k"));
        HttpResponse<String> key = refused(() -> submitJson("{\"model\":\"whisper-1\","
                + "\"audio_url\":\"https://example.com/a.mp3\",\"metadata\":{\"k\\u0000\":\"v\"}}"));
        assertThat(key.statusCode()).as(key.body()).isEqualTo(400);
        assertThat(JSON.readTree(key.body()).path("error").path("param").asString())
                .startsWith("metadata");
        assertError(
                refused(() -> client.send(client.request("/v1/transcription_batches")
                        .header("Authorization", "Bearer " + TestSystem.API_KEY)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"whisper-1\",\"items\":[{"
                                + "\"audio_url\":\"https://example.com/a.mp3\",\"metadata\":{\"k\":\"a\\u0000\"}}]}"))
                        .build())),
                400,
                "invalid_request_error",
                "items[0].metadata.k",
                message.formatted("items[0].metadata.k"));
        assertError(
                client.get("/v1/transcription_jobs?metadata%5Bk%5D=v%00"),
                400,
                "invalid_request_error",
                null,
                "Invalid query string: parameters must not contain NUL characters (%00).");

        // a file's name is the caller's label, not an instruction: kept without its control characters
        HttpResponse<String> named = client.transcribe(wav("cl\u0000ip.wav"));
        assertThat(named.statusCode()).as(named.body()).isEqualTo(200);

        // what an upstream says is not a request: a transcript with a NUL in it is stored and answered as it came
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"a\\u0000b\"}")));
        HttpResponse<String> transcribed = client.transcribe(wav("clip.wav"));
        assertThat(transcribed.statusCode()).as(transcribed.body()).isEqualTo(200);
        assertThat(JSON.readTree(transcribed.body()).path("text").asString()).isEqualTo("a\u0000b");
    }

    @Test
    void aUsagePeriodOutsideTheCalendarIsRefused() {
        assertError(
                client.get("/v1/usage?start=99999999999999999"),
                400,
                "invalid_request_error",
                "start",
                "Invalid 'start': expected a Unix time in seconds from 0 to 253402300799, got 99999999999999999.");
        assertError(
                client.get("/v1/usage?end=-1"),
                400,
                "invalid_request_error",
                "end",
                "Invalid 'end': expected a Unix time in seconds from 0 to 253402300799, got -1.");
        assertThat(client.get("/v1/usage?start=0&end=253402300799").statusCode())
                .isEqualTo(200);
    }

    @Test
    void aFormSentWithoutALengthIsCutOffAtTheLimitWhateverItsParts() {
        // no Content-Length: the reader counted only the audio part; a part of another name was skipped endlessly
        String boundary = "----endless";
        Endless endless = new Endless(
                "--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
                        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"other\"; filename=\"o.wav\""
                        + "\r\nContent-Type: audio/wav\r\n\r\n",
                500L * 1024 * 1024);

        HttpResponse<String> response = refused(() -> sendCountingFailures(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> endless))
                .build()));

        if (response != null) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        }
        assertThat(endless.sent()).as("bytes the server took").isLessThan(64L * 1024 * 1024);
    }

    // --- item 7: presigned uploads ------------------------------------------------------------------------

    @Test
    void anUploadClaimedByAJobCannotBeOverwrittenAfterwards() throws Exception {
        JsonNode upload = JSON.readTree(client.post("/v1/transcription_uploads").body());
        String uploadUrl = upload.path("upload_url").asString();
        byte[] original = TestAudio.toneWav(0.5);
        assertThat(put(uploadUrl, original)).isEqualTo(200);

        HttpResponse<String> accepted = submitJson(
                "{\"model\":\"whisper-1\",\"upload_id\":\"" + upload.path("id").asString() + "\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        dev.transcriber.common.events.JobId jobId = dev.transcriber.common.events.JobId.parse(
                JSON.readTree(accepted.body()).path("id").asString());
        String audioKey =
                system.jobs().findById(jobId.value()).orElseThrow().audio().objectKey();

        byte[] swapped = "not the audio the job was accepted with".getBytes();
        put(uploadUrl, swapped); // the URL may still be valid; whatever S3 answers, the job's audio must not change

        try (var in = system.objectStore().open(audioKey)) {
            assertThat(java.util.Arrays.equals(in.readAllBytes(), original))
                    .as("the job's audio at " + audioKey + " is what was uploaded before the job")
                    .isTrue();
        }
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(system.jobs()
                                .findById(jobId.value())
                                .orElseThrow()
                                .state())
                        .isEqualTo(dev.transcriber.common.store.JobState.SUCCEEDED));
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)))
                        .getFirst()
                        .getPart("file")
                        .getBody()
                        .asBytes())
                .as("what the upstream was sent")
                .isEqualTo(original);

        // what the URL wrote after the claim is nobody's: gone once the URL has expired, with a margin (an S3 server
        // honours a signature 15 minutes off its clock, and a PUT it took may be long), kept before
        String uploaded = "uploads/" + upload.path("id").asString();
        assertThat(system.objectStore().size(uploaded)).as("the late object").isPresent();
        var sweeper = system.worker().getBean(dev.transcriber.worker.retention.RetentionSweeper.class);
        java.time.Instant expires =
                java.time.Instant.ofEpochSecond(upload.path("expires_at").asLong());
        sweeper.sweep(expires.plus(java.time.Duration.ofMinutes(50)));
        assertThat(system.objectStore().size(uploaded)).as("within the margin").isPresent();
        sweeper.sweep(expires.plus(java.time.Duration.ofMinutes(61)));
        assertThat(system.objectStore().size(uploaded)).as("after it").isEmpty();
        assertThat(system.jobs().findById(jobId.value()).orElseThrow().state())
                .isEqualTo(dev.transcriber.common.store.JobState.SUCCEEDED);
    }

    @Test
    void uploadsWaitingForTheStoreHoldNoMoreMemoryThanTheProcessAllows() throws Exception {
        // each upload held up to one part (8 MB) in memory before the store saw a byte, however many there were: a
        // few dozen slow senders could exhaust the heap
        try (TestSystem.Isolated small = TestSystem.isolated(
                List.of(),
                List.of("--transcriber.storage.buffer-memory=640KB", "--transcriber.storage.buffer-wait=300ms"))) {
            small.system()
                    .upstream()
                    .stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"fine\"}")));
            ApiClient api = new ApiClient(small.system().apiBaseUrl());
            var store = small.system().api().getBean(dev.transcriber.common.storage.ObjectStore.class);
            Multipart slowForm = wav("slow.wav", TestAudio.toneWav(15.0)); // 480 KB
            byte[] slowBody = slowForm.build();
            java.util.concurrent.CountDownLatch resume = new java.util.concurrent.CountDownLatch(1);
            var slow = java.net.http.HttpClient.newHttpClient()
                    .sendAsync(
                            api.request("/v1/audio/transcriptions")
                                    .header("Authorization", "Bearer " + TestSystem.API_KEY)
                                    .header("Content-Type", slowForm.contentType())
                                    .POST(HttpRequest.BodyPublishers.ofInputStream(
                                            () -> new Stalling(slowBody, 440 * 1024, resume)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            try {
                org.awaitility.Awaitility.await()
                        .atMost(java.time.Duration.ofSeconds(20))
                        .until(() -> store.bufferedBytes() >= 400 * 1024);

                // another 320 KB does not fit beside it: refused after the wait, as a 503 to send again
                HttpResponse<String> busy = api.transcribe(wav("second.wav", TestAudio.toneWav(10.0)));
                assertThat(busy.statusCode()).as(busy.body()).isEqualTo(503);
                assertThat(busy.headers().firstValue("Retry-After")).hasValue("5");
                JsonNode error = JSON.readTree(busy.body()).path("error");
                assertThat(error.path("type").asString()).isEqualTo("server_error");
                assertThat(error.path("code").asString()).isEqualTo("server_busy");
                assertThat(store.bufferedBytes())
                        .as("what the refused one held is given back")
                        .isLessThan(520 * 1024);
            } finally {
                resume.countDown();
            }
            assertThat(slow.get(60, java.util.concurrent.TimeUnit.SECONDS).statusCode())
                    .as("the slow upload, once it went on")
                    .isEqualTo(200);
            assertThat(store.bufferedBytes()).isZero();
            HttpResponse<String> after = api.transcribe(wav("third.wav", TestAudio.toneWav(10.0)));
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            assertThat(store.bufferedBytes()).isZero();
        }
    }

    @Test
    void anUploadOverItsDeclaredSizeIsRefusedWhenClaimedAndRemoved() throws Exception {
        try (TestSystem.Isolated small =
                TestSystem.isolated(List.of(), List.of("--transcriber.uploads.max-size=64KB"))) {
            ApiClient api = new ApiClient(small.system().apiBaseUrl());
            JsonNode upload =
                    JSON.readTree(api.post("/v1/transcription_uploads").body());
            assertThat(upload.path("max_bytes").asLong()).isEqualTo(64 * 1024);
            assertThat(put(upload.path("upload_url").asString(), TestAudio.toneWav(3.0)))
                    .as("S3 takes it: a presigned PUT cannot cap the size")
                    .isEqualTo(200);
            long jobs = small.system().jobs().count();

            HttpResponse<String> refused = api.send(api.request("/v1/transcription_jobs")
                    .header("Authorization", "Bearer " + TestSystem.API_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"whisper-1\",\"upload_id\":\""
                            + upload.path("id").asString() + "\"}"))
                    .build());

            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(413);
            JsonNode error = JSON.readTree(refused.body()).path("error");
            assertThat(error.path("code").asString()).isEqualTo("file_too_large");
            assertThat(error.path("param").asString()).isEqualTo("upload_id");
            assertThat(small.system().jobs().count()).isEqualTo(jobs);
            assertThat(small.system()
                            .objectStore()
                            .size("uploads/" + upload.path("id").asString()))
                    .as("the oversized upload is removed")
                    .isEmpty();
            assertThat(small.system()
                            .objectStore()
                            .keys(ObjectKeys.claimedUploads(upload.path("id").asString())))
                    .isEmpty();
        }
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    private static Multipart wav(String filename) {
        return wav(filename, TestAudio.toneWav(0.5));
    }

    private static Multipart wav(String filename, byte[] audio) {
        return new Multipart().file("file", filename, "audio/wav", audio).field("model", "whisper-1");
    }

    /** {@code content}, of which the first {@code before} bytes come at once and the rest once {@code resume} opens. */
    private static final class Stalling extends java.io.InputStream {
        private final byte[] content;
        private final int before;
        private final java.util.concurrent.CountDownLatch resume;
        private int at;

        Stalling(byte[] content, int before, java.util.concurrent.CountDownLatch resume) {
            this.content = content;
            this.before = before;
            this.resume = resume;
        }

        @Override
        public int read() throws java.io.IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
            if (at >= content.length) {
                return -1;
            }
            if (at >= before) {
                try {
                    resume.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
            }
            int n = Math.min(len, (at < before ? before : content.length) - at);
            System.arraycopy(content, at, b, off, n);
            at += n;
            return n;
        }
    }

    private static int put(String url, byte[] content) throws Exception {
        return java.net.http.HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(java.net.URI.create(url))
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    private HttpRequest.Builder form(String path, Multipart form) {
        return client.request(path)
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()));
    }

    private HttpRequest.Builder jsonJob() {
        return client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json");
    }

    /**
     * The response, or null when the server closed the connection while the client was still sending (it answers
     * and stops reading; some clients see the close before the answer).
     */
    private HttpResponse<String> sendCountingFailures(HttpRequest request) {
        try {
            return client.send(request);
        } catch (IllegalStateException e) {
            assertThat(e).hasCauseInstanceOf(java.io.IOException.class);
            return null;
        }
    }

    /** {@code prefix} then {@code 'a'} up to {@code length} bytes, made as read; counts what the client sent. */
    private static final class Endless extends java.io.InputStream {
        private final byte[] prefix;
        private final long length;
        private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();

        Endless(String prefix, long length) {
            this.prefix = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            this.length = length;
        }

        long sent() {
            return sent.get();
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            long at = sent.get();
            if (at >= length) {
                return -1;
            }
            int n = (int) Math.min(len, length - at);
            for (int i = 0; i < n; i++) {
                long position = at + i;
                b[off + i] = position < prefix.length ? prefix[(int) position] : (byte) 'a';
            }
            sent.addAndGet(n);
            return n;
        }
    }

    private HttpResponse<String> submitJson(String body) {
        return client.send(client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    /** Sends the request and checks that it left no job row and no object in the store. */
    private HttpResponse<String> refused(Supplier<HttpResponse<String>> call) {
        long jobs = system.jobs().count();
        Set<String> objects = objectKeys();
        HttpResponse<String> response = call.get();
        String what = response == null ? "a closed connection" : response.body();
        assertThat(system.jobs().count()).as("job rows after " + what).isEqualTo(jobs);
        assertThat(objectKeys()).as("objects after " + what).isEqualTo(objects);
        return response;
    }

    private Set<String> objectKeys() {
        StorageProperties storage = system.api().getBean(StorageProperties.class);
        MinioClient minio = MinioClient.builder()
                .endpoint(storage.endpoint())
                .credentials(storage.accessKey(), storage.secretKey())
                .region(storage.region())
                .build();
        Set<String> keys = new TreeSet<>();
        try {
            for (var item : minio.listObjects(ListObjectsArgs.builder()
                    .bucket(storage.bucket())
                    .recursive(true)
                    .build())) {
                keys.add(item.get().objectName());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return keys;
    }

    private static void assertError(
            HttpResponse<String> response, int status, String code, String param, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("message").asString()).isEqualTo(message);
        assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asString()).isEqualTo(code);
        assertThat(error.has("param")).isTrue();
        if (param == null) {
            assertThat(error.get("param").isNull()).as(response.body()).isTrue();
        } else {
            assertThat(error.path("param").asString()).isEqualTo(param);
        }
    }
}
