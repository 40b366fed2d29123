package dev.transcriber.standalone.bench;

import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Prints how fast async jobs are taken in and finished: {@code bench.jobs} jobs of ~100 KB submitted to
 * {@code POST /v1/transcription_jobs} by {@code bench.clients} clients as fast as they are accepted, against an
 * upstream that answers at once; jobs accepted per second (first request to last 202) and completed per second
 * (first request to the last job's end, read from PostgreSQL).
 *
 * <p>Run with {@code bench/intake.sh}. {@code -Dbench.acceptOnly=true -Dbench.asyncSlots=0} measures the api alone
 * (no worker takes the jobs). Everything runs in one JVM on loopback: infrastructure, both services, the fake
 * upstream and the clients.
 */
public final class IntakeBenchmark {

    public static void main(String[] args) throws Exception {
        int jobs = Integer.getInteger("bench.jobs", 3000);
        int clients = Integer.getInteger("bench.clients", 32);
        try (FakeUpstream upstream = new FakeUpstream(Duration.ZERO);
                LocalInfrastructure infra = LocalInfrastructure.start(
                        Files.createTempDirectory("transcriber-bench"), LocalInfrastructure.Ports.free())) {
            LocalSystem system = BenchSystem.start(
                    infra,
                    upstream.baseUrl(),
                    256,
                    "--transcriber.worker.max-in-flight-async=" + Integer.getInteger("bench.asyncSlots", 64));
            try {
                run(system, jobs, clients);
            } finally {
                system.close();
            }
        }
        System.exit(0);
    }

    private static void run(LocalSystem system, int jobs, int clients) throws Exception {
        byte[] audio = TestAudio.toneWav(3.2); // ~100 KB
        Multipart form =
                new Multipart().file("file", "clip.wav", "audio/wav", audio).field("model", "gpt-4o-transcribe");
        byte[] body = form.build();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        HttpRequest submit = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + system.apiPort() + "/v1/transcription_jobs"))
                .header("Authorization", "Bearer " + BenchSystem.KEY)
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        JdbcClient jdbc = system.api().getBean(JdbcClient.class);
        for (int i = 0; i < 200; i++) { // warm-up
            http.send(submit, HttpResponse.BodyHandlers.discarding());
        }
        if (!Boolean.getBoolean("bench.acceptOnly")) {
            waitUntilEnded(jdbc, 200, Duration.ofMinutes(2));
            jdbc.sql("delete from transcription_jobs").update();
        }

        System.out.printf(Locale.ROOT, "submitting %d jobs of %d bytes from %d clients%n", jobs, audio.length, clients);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        long started = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    while (next.getAndIncrement() < jobs) {
                        HttpResponse<Void> response = http.send(submit, HttpResponse.BodyHandlers.discarding());
                        if (response.statusCode() != 202) {
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
        double accepting = (System.nanoTime() - started) / 1e9;
        if (Boolean.getBoolean("bench.acceptOnly")) {
            System.out.printf(
                    Locale.ROOT,
                    "accepted %d in %.2f s = %.0f jobs/s with no worker taking them%n",
                    jobs - refused.get(),
                    accepting,
                    (jobs - refused.get()) / accepting);
            return;
        }
        waitUntilEnded(jdbc, jobs, Duration.ofMinutes(10));
        double completing = (System.nanoTime() - started) / 1e9;
        int succeeded = jdbc.sql("select count(*) from transcription_jobs where state = 'SUCCEEDED'")
                .query(Integer.class)
                .single();
        System.out.printf(
                Locale.ROOT,
                "accepted %d in %.2f s = %.0f jobs/s (%d not 202); completed %d in %.2f s = %.0f jobs/s%n",
                jobs - refused.get(),
                accepting,
                (jobs - refused.get()) / accepting,
                refused.get(),
                succeeded,
                completing,
                succeeded / completing);
    }

    private static void waitUntilEnded(JdbcClient jdbc, int jobs, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            int ended = jdbc.sql("select count(*) from transcription_jobs where finished_at is not null"
                            + " and parent_id is null")
                    .query(Integer.class)
                    .single();
            if (ended >= jobs) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("jobs did not end within " + limit);
    }
}
