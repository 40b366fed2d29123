package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Audio that tries to make libavformat reach elsewhere, and the caller's Content-Type, end to end. */
class HostileAudioFlowTest {

    private static final String PLAYLIST_TYPE = "application/vnd.apple.mpegurl";

    private final TestSystem system = TestSystem.embedded();
    private final ApiClient client = new ApiClient(system.apiBaseUrl());
    private final AtomicInteger segmentRequests = new AtomicInteger();
    private HttpServer segments;

    @BeforeEach
    void start() throws IOException {
        system.resetUpstream();
        segments = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        segments.createContext("/", exchange -> {
            segmentRequests.incrementAndGet();
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        segments.start();
    }

    @AfterEach
    void stop() {
        segments.stop(0);
    }

    @Test
    void anHlsPlaylistUploadedAsAudioGets400AndItsSegmentsAreNeverFetched() {
        String segment = "http://127.0.0.1:" + segments.getAddress().getPort() + "/seg";
        String playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n" + segment
                + "0.ts\n#EXTINF:10.0,\n" + segment + "1.ts\n#EXT-X-ENDLIST\n";

        HttpResponse<String> response = client.transcribe(new Multipart()
                .file("file", "episode.mp3", PLAYLIST_TYPE, playlist.getBytes(StandardCharsets.UTF_8))
                .field("model", "gpt-4o-transcribe"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("invalid_request_error");
        assertThat(segmentRequests).hasValue(0);
    }

    @Test
    void storedAudioIsOctetStreamWhateverTypeTheCallerGaveIt() throws Exception {
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"Hello.\"}")));

        HttpResponse<String> response = client.transcribe(new Multipart()
                .file("file", "tone.wav", PLAYLIST_TYPE, TestAudio.toneWav(1.0))
                .field("model", "gpt-4o-transcribe"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JobId job = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        String url = system.objectStore().presignedGet(ObjectKeys.sourceAudio(job), Duration.ofMinutes(1));
        HttpResponse<Void> stored = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.discarding());
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(stored.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    }
}
