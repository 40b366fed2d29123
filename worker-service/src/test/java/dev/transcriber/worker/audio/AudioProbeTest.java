package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The probe and decoder open stored audio over HTTP as in production (a local server stands in for the object store)
 * and must not follow what a file names.
 */
class AudioProbeTest {

    private final NativeThreads threads = new NativeThreads(2);
    private final AudioProbe probe = new AudioProbe(Duration.ofSeconds(5), threads);
    private final AudioDecoder decoder = new AudioDecoder(Duration.ofSeconds(5), threads);
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private final Map<String, String> types = new ConcurrentHashMap<>();
    private final AtomicInteger elsewhere = new AtomicInteger();
    private HttpServer store;
    private HttpServer other;

    @BeforeEach
    void start() throws IOException {
        store = server(exchange -> {
            byte[] body = objects.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.getResponseHeaders()
                        .add("Content-Type", types.get(exchange.getRequestURI().getPath()));
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        other = server(exchange -> {
            elsewhere.incrementAndGet();
            byte[] body = wav(1);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
    }

    @AfterEach
    void stop() {
        store.stop(0);
        other.stop(0);
        threads.stop();
    }

    private static HttpServer server(com.sun.net.httpserver.HttpHandler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", handler);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return server;
    }

    private String stored(String path, String type, byte[] content) {
        objects.put(path, content);
        types.put(path, type);
        return "http://127.0.0.1:" + store.getAddress().getPort() + path;
    }

    private String otherServer(String path) {
        return "http://127.0.0.1:" + other.getAddress().getPort() + path;
    }

    @Test
    void anHlsPlaylistIsRefusedBeforeItsSegmentsAreFetched() {
        String playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
                + "#EXTINF:10.0,\n" + otherServer("/seg0.ts") + "\n#EXTINF:10.0,\n" + otherServer("/seg1.ts")
                + "\n#EXT-X-ENDLIST\n";
        String url = stored("/audio.m3u8", "application/vnd.apple.mpegurl", playlist.getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> probe.probe(url)).isInstanceOf(InvalidAudioException.class);
        assertThatThrownBy(() -> decoder.decode(url, (pcm, length) -> {})).isInstanceOf(InvalidAudioException.class);
        assertThat(elsewhere).hasValue(0);
    }

    @Test
    void aConcatListIsRefusedBeforeItsFilesAreFetched() {
        String list = "ffconcat version 1.0\nfile '" + otherServer("/a.wav") + "'\n";
        String url = stored("/audio.wav", "audio/wav", list.getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> probe.probe(url)).isInstanceOf(InvalidAudioException.class);
        assertThat(elsewhere).hasValue(0);
    }

    @Test
    void realAudioStillProbesAndDecodesOverHttp() throws IOException {
        String url = stored("/audio.bin", "application/octet-stream", wav(2));

        ProbedAudio probed = probe.probe(url);
        assertThat(probed.container()).isEqualTo("wav");
        assertThat(probed.durationSeconds()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.05));
        assertThat(decoder.decode(url, (pcm, length) -> {})).isEqualTo(2L * AudioDecoder.SAMPLE_RATE);
    }

    @Test
    void aPcmWavIsMeasuredFromItsHeaderAndOneOfUnknownLengthFromItsSamples() throws IOException {
        byte[] known = wav(3);
        byte[] unknown = wav(3);
        ByteBuffer.wrap(unknown).order(ByteOrder.LITTLE_ENDIAN).putInt(4, -1).putInt(40, -1); // as a pipe writes it

        for (byte[] audio : List.of(known, unknown)) {
            ProbedAudio probed = probe.probe(stored("/audio-" + audio.hashCode() + ".wav", "audio/wav", audio));

            assertThat(probed.container()).isEqualTo("wav");
            assertThat(probed.codec()).isEqualTo("pcm_s16le");
            assertThat(probed.durationSeconds()).isCloseTo(3.0, org.assertj.core.data.Offset.offset(0.01));
        }
    }

    @Test
    void aPcmWavWithoutSamplesGetsNoLengthFromItsHeader() throws IOException {
        ProbedAudio probed = probe.probe(stored("/empty.wav", "audio/wav", wav(0)));

        // as before the header was trusted: the cutter then finds no audio in it and refuses it
        assertThat(probed.durationSeconds()).isNull();
    }

    @Test
    void aStoreThatFailsIsAStorageFailureNotTheCallersBadAudio() throws IOException {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        String missing = "http://127.0.0.1:" + store.getAddress().getPort() + "/gone.wav";
        HttpServer failing = server(exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        try {
            for (String url : new String[] {
                "http://127.0.0.1:" + closed + "/audio.wav",
                missing,
                "http://127.0.0.1:" + failing.getAddress().getPort() + "/audio.wav"
            }) {
                assertThatThrownBy(() -> probe.probe(url))
                        .as(url)
                        .isInstanceOf(dev.transcriber.common.storage.ObjectStoreException.class);
                assertThatThrownBy(() -> decoder.decode(url, (pcm, length) -> {}))
                        .as(url)
                        .isInstanceOf(dev.transcriber.common.storage.ObjectStoreException.class);
            }
        } finally {
            failing.stop(0);
        }
    }

    /** A 16 kHz mono 16-bit WAV of a quiet tone. */
    private static byte[] wav(int seconds) {
        int samples = seconds * 16_000;
        ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2);
        b.put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII))
                .putInt(16)
                .putShort((short) 1)
                .putShort((short) 1);
        b.putInt(16_000).putInt(32_000).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
        for (int i = 0; i < samples; i++) {
            b.putShort((short) (1000 * Math.sin(i * 2 * Math.PI * 440 / 16_000)));
        }
        return b.array();
    }
}
