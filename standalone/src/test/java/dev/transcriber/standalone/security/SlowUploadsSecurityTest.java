package dev.transcriber.standalone.security;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.JobId;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Slow senders of one API key are bounded on an api instance: with {@code
 * transcriber.api.max-uploads-in-progress-per-key} forms of a key being read, its next upload gets 429 {@code
 * too_many_uploads} in the OpenAI shape at once, on the sync and the async endpoint, and no job is made, while other
 * keys go on; once one of them ends, the key may upload again.
 */
class SlowUploadsSecurityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aKeyWithItsMostUploadsUnderWayIsRefusedAtOnceAndOtherKeysAreNot() throws Exception {
        TestSystem system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"fine\"}")));
        ConfigurableApplicationContext api =
                system.startAnotherApi(List.of("--transcriber.api.max-uploads-in-progress-per-key=2"));
        List<Socket> trickling = new ArrayList<>();
        try {
            int port = Integer.parseInt(api.getEnvironment().getRequiredProperty("local.server.port"));
            ApiClient client = new ApiClient("http://127.0.0.1:" + port);
            trickling.add(startUpload(port, "/v1/audio/transcriptions"));
            trickling.add(startUpload(port, "/v1/transcription_jobs"));
            // once both are being read, the key's next upload is refused
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.transcribe(wav()).statusCode() == 429);

            HttpResponse<String> sync = client.transcribe(wav());
            HttpResponse<String> async = client.submitJob(wav(), TestSystem.API_KEY, null);

            for (HttpResponse<String> refused : List.of(sync, async)) {
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
                JsonNode error = JSON.readTree(refused.body()).path("error");
                assertThat(error.path("type").asString()).isEqualTo("rate_limit_error");
                assertThat(error.path("code").asString()).isEqualTo("too_many_uploads");
                assertThat(error.path("message").asString()).contains("2 uploads in progress");
            }
            assertThat(system.jobs()
                            .findById(JobId.parse(sync.headers()
                                            .firstValue("X-Transcription-Job-Id")
                                            .orElseThrow())
                                    .value()))
                    .as("no job made")
                    .isEmpty();
            assertThat(client.transcribe(wav(), TestSystem.OTHER_API_KEY).statusCode())
                    .as("another key")
                    .isEqualTo(200);

            trickling.removeFirst().close(); // the sender goes away: its upload ends
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.transcribe(wav()).statusCode() == 200);
        } finally {
            for (Socket socket : trickling) {
                socket.close();
            }
            api.close();
        }
    }

    /** An upload of the test key whose body has begun and goes no further: the api reads it, waiting for more. */
    private static Socket startUpload(int port, String path) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        String part = "--slow\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer "
                        + TestSystem.API_KEY + "\r\nContent-Type: multipart/form-data; boundary=slow\r\n"
                        + "Content-Length: 10000000\r\n\r\n" + part)
                .getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[4096]);
        out.flush();
        return socket;
    }

    private static Multipart wav() {
        return new Multipart()
                .field("model", "gpt-4o-transcribe")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
