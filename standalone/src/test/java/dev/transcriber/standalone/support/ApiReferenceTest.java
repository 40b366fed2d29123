package dev.transcriber.standalone.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** The check {@link ApiClient} runs on every answer, against the real document, on answers made up to break it. */
class ApiReferenceTest {

    private static final String JOB =
            "{\"id\":\"7d7f0c1e-8d5a-4a57-9a38-2d7c1b0b5f11\",\"object\":\"transcription_job\","
                    + "\"status\":\"queued\",\"model\":\"whisper-1\",\"response_format\":\"json\",\"created_at\":1796000000";

    private final ApiReference reference = ApiReference.api();

    @Test
    void aDocumentedAnswerPasses() {
        assertThat(reference.problems("GET", "/v1/transcription_jobs/7d7f0c1e", 200, "application/json", JOB + "}"))
                .isEmpty();
        assertThat(reference.problems(
                        "GET",
                        "/v1/transcription_jobs",
                        200,
                        "application/json",
                        "{\"object\":\"list\",\"data\":[" + JOB + "}],\"has_more\":false,\"first_id\":\"a\","
                                + "\"last_id\":null}"))
                .isEmpty();
    }

    @Test
    void anUndocumentedFieldFailsNamingTheRouteTheStatusAndTheField() {
        assertThatThrownBy(() -> reference.check(
                        "GET",
                        URI.create("http://127.0.0.1:1/v1/transcription_jobs/7d7f0c1e"),
                        200,
                        "application/json",
                        JOB + ",\"priority\":3}"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("GET /v1/transcription_jobs/7d7f0c1e answered 200")
                .hasMessageContaining("property 'priority' is not defined in the schema");
    }

    @Test
    void aWrongTypeFails() {
        assertThat(reference.problems(
                        "GET",
                        "/v1/transcription_jobs/7d7f0c1e",
                        200,
                        "application/json",
                        JOB.replace("1796000000", "\"1796000000\"") + "}"))
                .singleElement()
                .asString()
                .contains("created_at")
                .contains("integer");
        assertThat(reference.problems(
                        "GET",
                        "/v1/models",
                        200,
                        "application/json",
                        "{\"object\":\"list\",\"data\":[{\"id\":\"whisper-1\",\"object\":\"model\",\"created\":1,"
                                + "\"owned_by\":null}]}"))
                .isNotEmpty();
    }

    @Test
    void errorsMustHaveTheErrorShape() {
        String error = "{\"error\":{\"message\":\"No job.\",\"type\":\"invalid_request_error\",\"code\":\"not_found\","
                + "\"param\":\"id\"}}";
        assertThat(reference.problems("GET", "/v1/transcription_jobs/x", 404, "application/json", error))
                .isEmpty();
        assertThat(reference.problems("GET", "/v1/nowhere", 404, "application/json", error))
                .isEmpty();
        assertThat(reference.problems(
                        "POST",
                        "/admin/accounts/a/enable",
                        404,
                        "application/json",
                        "{\"error\":{\"message\":\"No account 'a'.\",\"type\":\"invalid_request_error\"}}"))
                .isNotEmpty();
    }

    @Test
    void anUnlistedSuccessStatusOrAnUndocumentedRouteFails() {
        assertThat(reference.problems("GET", "/v1/transcription_jobs/x", 201, "application/json", JOB + "}"))
                .singleElement()
                .asString()
                .contains("does not list status 201");
        assertThat(reference.problems("GET", "/v1/nowhere", 200, "application/json", "{}"))
                .singleElement()
                .asString()
                .contains("undocumented route");
        assertThat(reference.problems("PUT", "/v1/models", 200, "application/json", "{}"))
                .singleElement()
                .asString()
                .contains("undocumented route");
    }

    @Test
    void linesAndEventsAreCheckedOneByOne() {
        assertThat(reference.problems(
                        "GET",
                        "/v1/transcription_batches/b/results",
                        200,
                        "application/x-ndjson",
                        "{\"index\":0,\"job_id\":\"7d7f0c1e-8d5a-4a57-9a38-2d7c1b0b5f11\",\"metadata\":{},"
                                + "\"status\":\"succeeded\",\"transcript\":\"hi\"}\n"
                                + "{\"index\":1,\"job_id\":\"7d7f0c1e-8d5a-4a57-9a38-2d7c1b0b5f12\",\"metadata\":{},"
                                + "\"status\":\"done\"}\n"))
                .singleElement()
                .asString()
                .startsWith("line 2:")
                .contains("status");
        assertThat(reference.problems(
                        "POST",
                        "/v1/audio/transcriptions",
                        200,
                        "text/event-stream",
                        "data:{\"type\":\"transcript.text.delta\",\"delta\":\"hi\"}\n\n"
                                + "data:{\"type\":\"transcript.text.done\",\"text\":\"hi\",\"extra\":1}\n\n"))
                .isNotEmpty();
    }

    @Test
    void aMediaTypeRangeCoversTheTypesOfItsKind() {
        assertThat(reference.problems("GET", "/v1/transcription_jobs/x/audio", 200, "audio/wav", "RIFF"))
                .isEmpty();
        assertThat(reference.problems("GET", "/admin/jobs/x/audio", 200, "application/octet-stream", "bytes"))
                .isEmpty();
        assertThat(reference.problems("GET", "/v1/transcription_jobs/x/audio", 200, "text/html", "<p>"))
                .singleElement()
                .asString()
                .contains("content type text/html is not documented");
    }

    @Test
    void theWorkersRoutesAreInTheDocumentToo() {
        assertThat(reference.template("/admin/accounts/acct-1/enable")).isEqualTo("/admin/accounts/{id}/enable");
        assertThat(reference.template("/admin/keys/7d7f0c1e")).isEqualTo("/admin/keys/{id}");
        assertThat(reference.template("/actuator/health")).isNull();
    }
}
