package dev.transcriber.standalone.bench;

import com.sun.net.httpserver.HttpServer;
import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.support.TestAudio;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prints how fast batches go: a podcast feed of {@code bench.episodes} episodes (each enclosure a 1 s WAV served on
 * loopback) and a zip of {@code bench.files} WAVs of ~100 KB, against an upstream that answers at once. For each:
 * the time to expand it into items (accepted to {@code in_progress}, polled every 20 ms), the time to complete it, and
 * items per second; for the zip, the archive's megabytes per second through expansion too.
 *
 * <p>Run with {@code bench/batches.sh}. Everything runs in one JVM on loopback: infrastructure, both services, the
 * fake upstream, the file server and the client.
 */
public final class BatchBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static void main(String[] args) throws Exception {
        int episodes = Integer.getInteger("bench.episodes", 2000);
        int files = Integer.getInteger("bench.files", 300);
        byte[] episode = TestAudio.toneWav(1.0);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        byte[] feed = feed(base, episodes).getBytes(StandardCharsets.UTF_8);
        server.createContext("/feed.xml", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(200, feed.length);
                exchange.getResponseBody().write(feed);
            }
        });
        server.createContext("/ep.wav", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(200, episode.length);
                exchange.getResponseBody().write(episode);
            }
        });
        server.start();
        try (FakeUpstream upstream = new FakeUpstream(Duration.ZERO);
                LocalInfrastructure infra = BenchSystem.infrastructure()) {
            LocalSystem system = BenchSystem.start(
                    infra, upstream.baseUrl(), 256, List.of("--transcriber.network.allow-list=127.0.0.1"));
            try {
                Client client = new Client("http://127.0.0.1:" + system.apiPort());
                measure(
                        "feed of " + episodes + " episodes",
                        client,
                        "{\"model\":\"whisper-1\",\"reuse\":false,\"feed_url\":\"" + base + "/feed.xml\"}",
                        0);
                byte[] zip = zip(files);
                String upload = client.upload(zip);
                measure(
                        "zip of " + files + " files (" + zip.length / 1024 + " KB)",
                        client,
                        "{\"model\":\"whisper-1\",\"reuse\":false,\"archive_upload_id\":\"" + upload + "\"}",
                        zip.length);
            } finally {
                system.close();
            }
        } finally {
            server.stop(0);
        }
        System.exit(0);
    }

    private static void measure(String what, Client client, String request, long archiveBytes) throws Exception {
        long start = System.nanoTime();
        String id = client.submit(request);
        double expanded = -1;
        JsonNode batch;
        while (true) {
            batch = client.batch(id);
            String status = batch.path("status").asString();
            if (expanded < 0 && !status.equals("expanding")) {
                expanded = (System.nanoTime() - start) / 1e9;
            }
            if (status.equals("completed") || status.equals("failed")) {
                break;
            }
            Thread.sleep(20);
        }
        double completed = (System.nanoTime() - start) / 1e9;
        int items = batch.path("counts").path("total").asInt();
        System.out.printf(
                Locale.ROOT,
                "%s: %s, %d items (%d succeeded); expanded in %.2f s = %.0f items/s%s; completed in %.2f s = %.0f"
                        + " items/s%n",
                what,
                batch.path("status").asString(),
                items,
                batch.path("counts").path("succeeded").asInt(),
                expanded,
                items / expanded,
                archiveBytes > 0
                        ? String.format(Locale.ROOT, " (%.1f MB/s of archive)", archiveBytes / 1e6 / expanded)
                        : "",
                completed,
                items / completed);
    }

    private static String feed(String base, int episodes) {
        StringBuilder xml =
                new StringBuilder("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bench</title>");
        for (int i = 0; i < episodes; i++) {
            xml.append("<item><title>Episode ")
                    .append(i)
                    .append("</title><guid>ep-")
                    .append(i)
                    .append("</guid><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate><enclosure url=\"")
                    .append(base)
                    .append("/ep.wav?n=")
                    .append(i)
                    .append("\" type=\"audio/wav\" length=\"1\"/></item>");
        }
        return xml.append("</channel></rss>").toString();
    }

    private static byte[] zip(int files) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < files; i++) {
                zip.putNextEntry(new ZipEntry("show/ep" + i + ".wav"));
                zip.write(TestAudio.toneWav(3.0 + i % 7 * 0.01)); // ~100 KB each, not all alike
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private record Client(String base, HttpClient http) {
        Client(String base) {
            this(base, HttpClient.newHttpClient());
        }

        String submit(String body) throws Exception {
            HttpResponse<String> accepted = http.send(
                    request("/v1/transcription_batches")
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (accepted.statusCode() != 202) {
                throw new IllegalStateException(accepted.body());
            }
            return JSON.readTree(accepted.body()).path("id").asString();
        }

        JsonNode batch(String id) throws Exception {
            return JSON.readTree(http.send(
                            request("/v1/transcription_batches/" + id).GET().build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
        }

        String upload(byte[] content) throws Exception {
            JsonNode upload = JSON.readTree(http.send(
                            request("/v1/transcription_uploads")
                                    .POST(HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
            http.send(
                    HttpRequest.newBuilder(URI.create(upload.path("upload_url").asString()))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            return upload.path("id").asString();
        }

        private HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + BenchSystem.KEY);
        }
    }
}
