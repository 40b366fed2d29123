package dev.transcriber.standalone.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A plain HTTP client for the gateway (or a worker's admin routes), as an SDK would call it. Every answer is checked
 * against the API reference ({@link ApiReference}): an answer the document does not describe fails the test.
 */
public final class ApiClient {

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String baseUrl;

    public ApiClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public HttpResponse<String> transcribe(Multipart form) {
        return transcribe(form, TestSystem.API_KEY);
    }

    public HttpResponse<String> transcribe(Multipart form, String apiKey) {
        return transcribe(form, apiKey, Duration.ofSeconds(60));
    }

    /** A transcription that may take longer than a test's minute (a benchmark's long audio). */
    public HttpResponse<String> transcribe(Multipart form, String apiKey, Duration timeout) {
        return postForm("/v1/audio/transcriptions", form, apiKey, timeout);
    }

    /** {@code POST /v1/audio/translations} as the test key. */
    public HttpResponse<String> translate(Multipart form) {
        return postForm("/v1/audio/translations", form, TestSystem.API_KEY, Duration.ofSeconds(60));
    }

    private HttpResponse<String> postForm(String path, Multipart form, String apiKey, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()));
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        return send(request.build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            ApiReference.check(response);
            return response;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code GET path} as the test key. */
    public HttpResponse<String> get(String path) {
        return send(authorized(path).GET().build());
    }

    /** {@code POST path} with no body, as the test key. */
    public HttpResponse<String> post(String path) {
        return send(authorized(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** {@code POST /v1/transcription_jobs} with a multipart form, as {@code apiKey}, with an idempotency key if given. */
    public HttpResponse<String> submitJob(Multipart form, String apiKey, String idempotencyKey) {
        HttpRequest.Builder request = request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return send(request.build());
    }

    /** A presigned upload of {@code content} made as {@code apiKey}: its id, for a job's or a batch's upload_id. */
    public String upload(byte[] content, String apiKey) {
        HttpResponse<String> made = send(request("/v1/transcription_uploads")
                .header("Authorization", "Bearer " + apiKey)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
        JsonNode upload = JsonMapper.builder().build().readTree(made.body());
        HttpResponse<String> put =
                send(HttpRequest.newBuilder(URI.create(upload.path("upload_url").asString()))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
                        .build());
        if (made.statusCode() != 200 || put.statusCode() != 200) {
            throw new IllegalStateException("upload failed: " + made.body() + " " + put.body());
        }
        return upload.path("id").asString();
    }

    private HttpRequest.Builder authorized(String path) {
        return request(path).header("Authorization", "Bearer " + TestSystem.API_KEY);
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60));
    }
}
