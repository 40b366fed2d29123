package dev.transcriber.standalone.bench;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A transcription request shaped as the official OpenAI Node SDK (6.x on Node 22, whose fetch is undici's) sends
 * {@code client.audio.transcriptions.create({file, model: 'gpt-4o-transcribe'})} with the file given as a
 * {@code File} of type audio/wav: a multipart body with a boundary in undici's style, the {@code file} part first
 * (filename and Content-Type), then {@code model}; a known Content-Length (undici sizes a form of known parts); the
 * SDK's headers (Accept, User-Agent, the {@code X-Stainless-*} platform, retry-count and timeout headers) and the
 * ones undici's fetch adds (accept-language, sec-fetch-mode, accept-encoding).
 */
final class NodeSdkRequest {

    static final String SDK_VERSION = "6.9.1";

    private final byte[] body;
    private final String contentType;

    private NodeSdkRequest(byte[] body, String contentType) {
        this.body = body;
        this.contentType = contentType;
    }

    static NodeSdkRequest transcription(byte[] audio, String filename, String audioType, String model) {
        StringBuilder digits = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            digits.append(ThreadLocalRandom.current().nextInt(10));
        }
        String boundary = "----formdata-undici-0" + digits;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(
                out,
                "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                        + "\"\r\nContent-Type: " + audioType + "\r\n\r\n");
        out.writeBytes(audio);
        write(out, "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model + "\r\n");
        write(out, "--" + boundary + "--\r\n");
        return new NodeSdkRequest(out.toByteArray(), "multipart/form-data; boundary=" + boundary);
    }

    /** The headers besides Authorization, Content-Type, Content-Length, Host and Connection, in the SDK's order. */
    static Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept", "application/json");
        headers.put("User-Agent", "OpenAI/JS " + SDK_VERSION);
        headers.put("X-Stainless-Retry-Count", "0");
        headers.put("X-Stainless-Timeout", "600");
        headers.put("X-Stainless-Lang", "js");
        headers.put("X-Stainless-Package-Version", SDK_VERSION);
        headers.put("X-Stainless-OS", "Linux");
        headers.put("X-Stainless-Arch", "x64");
        headers.put("X-Stainless-Runtime", "node");
        headers.put("X-Stainless-Runtime-Version", "v22.20.0");
        headers.put("accept-language", "*");
        headers.put("sec-fetch-mode", "cors");
        headers.put("accept-encoding", "gzip, deflate");
        return headers;
    }

    /** The request to {@code url} with {@code apiKey} as the bearer token. */
    HttpRequest to(String url, String apiKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        headers().forEach(request::header);
        return request.header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    int bodyLength() {
        return body.length;
    }

    private static void write(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
}
