package dev.transcriber.standalone.bench;

import dev.transcriber.api.completion.PendingCompletions;
import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Prints the synchronous path's added latency (gateway minus the same fake upstream called directly, p50 and p99, at
 * 1 and 50 concurrent requests) and the heap and platform threads it takes to hold 2,000 requests open. While they
 * are held, the worker has its default 64 upstream calls in flight and the rest of the jobs wait in Kafka.
 *
 * <p>Run with {@code bench/sync-latency.sh}. Everything runs in one JVM on loopback: infrastructure, both services,
 * the fake upstream and the load generator.
 */
public final class SyncPathBenchmark {

    private static final int HELD = Integer.getInteger("bench.held", 2000);
    private static final int REQUESTS = Integer.getInteger("bench.requests", 2000);

    public static void main(String[] args) throws Exception {
        Duration upstreamLatency = Duration.ofMillis(Long.getLong("bench.upstreamLatencyMs", 20));
        try (FakeUpstream upstream = new FakeUpstream(upstreamLatency);
                LocalInfrastructure infra = LocalInfrastructure.start(
                        Files.createTempDirectory("transcriber-bench"), LocalInfrastructure.Ports.free())) {
            LocalSystem system = BenchSystem.start(infra, upstream.baseUrl(), 4096);
            try {
                run(system, upstream, upstreamLatency);
            } finally {
                system.close();
            }
        }
        System.exit(0);
    }

    private static void run(LocalSystem system, FakeUpstream upstream, Duration upstreamLatency) throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        byte[] audio = TestAudio.toneWav(1.5); // ~48 KB
        Multipart form =
                new Multipart().file("file", "clip.wav", "audio/wav", audio).field("model", "gpt-4o-transcribe");
        byte[] body = form.build();
        HttpRequest direct = HttpRequest.newBuilder(URI.create(upstream.baseUrl() + "/audio/transcriptions"))
                .header("Authorization", "Bearer bench-upstream")
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpRequest viaGateway = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + system.apiPort() + "/v1/audio/transcriptions"))
                .header("Authorization", "Bearer " + BenchSystem.KEY)
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();

        System.out.printf(
                "audio %d bytes, fake upstream latency %d ms, %d requests per measurement%n",
                audio.length, upstreamLatency.toMillis(), REQUESTS);
        int warmUp = Integer.getInteger("bench.warmUp", 2000);
        measure(http, viaGateway, 8, warmUp);
        measure(http, direct, 8, Math.min(warmUp, 1000));
        int[] levels = Boolean.getBoolean("bench.onlySerial") ? new int[] {1} : new int[] {1, 50};
        for (int concurrency : levels) {
            int n = concurrency == 1 ? Math.min(REQUESTS, 500) : REQUESTS;
            MachineCpu directCpu = MachineCpu.start();
            List<Long> directMs = measure(http, direct, concurrency, n);
            double directCpuMs = directCpu.busyMillis() / n;
            Stages stages = Stages.of(system);
            stages.mark();
            MachineCpu gatewayCpu = MachineCpu.start();
            List<Long> gatewayMs = measure(http, viaGateway, concurrency, n);
            double gatewayCpuMs = gatewayCpu.busyMillis() / n;
            double gatewayUtilisation = gatewayCpu.utilisation();
            System.out.printf(
                    "concurrency %2d: direct p50 %6.2f ms p99 %6.2f ms | gateway p50 %6.2f ms p99 %6.2f ms | added p50 %6.2f ms p99 %6.2f ms%n",
                    concurrency,
                    pct(directMs, 50),
                    pct(directMs, 99),
                    pct(gatewayMs, 50),
                    pct(gatewayMs, 99),
                    pct(gatewayMs, 50) - pct(directMs, 50),
                    pct(gatewayMs, 99) - pct(directMs, 99));
            System.out.printf(
                    "    machine CPU per request: direct %.1f ms, gateway %.1f ms (cores %.0f%% busy)%n",
                    directCpuMs, gatewayCpuMs, 100 * gatewayUtilisation);
            hops(system, n);
            System.out.println("    mean ms per step: " + stages.sinceMark());
        }
        held(http, viaGateway, system, upstream);
        floor(system);
    }

    /** The durable hops alone, from this JVM: what any design pays per request. */
    private static void floor(LocalSystem system) {
        var jdbc = system.api().getBean(org.springframework.jdbc.core.JdbcTemplate.class);
        var tx = system.api().getBean(org.springframework.transaction.support.TransactionTemplate.class);
        jdbc.execute("create table if not exists bench_floor (id bigserial primary key, payload text)");
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            long start = System.nanoTime();
            tx.executeWithoutResult(s -> jdbc.update("insert into bench_floor (payload) values (?)", "x".repeat(300)));
            micros.add((System.nanoTime() - start) / 1000);
        }
        System.out.printf(
                "floor: postgres insert+commit via JdbcTemplate p50 %.2f ms p99 %.2f ms%n",
                pct(micros.subList(1000, 2000), 50), pct(micros.subList(1000, 2000), 99));
        var jobs = system.api().getBean(dev.transcriber.common.store.JobRepository.class);
        var anyJob = jobs.findAll().getFirst().id().value();
        micros.clear();
        for (int i = 0; i < 2000; i++) {
            long start = System.nanoTime();
            tx.executeWithoutResult(s -> jobs.findById(anyJob).orElseThrow());
            micros.add((System.nanoTime() - start) / 1000);
        }
        System.out.printf(
                "floor: JPA findById in a transaction, platform thread p50 %.2f ms p99 %.2f ms%n",
                pct(micros.subList(1000, 2000), 50), pct(micros.subList(1000, 2000), 99));
        micros.clear();
        try (var vt = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 2000; i++) {
                long start = System.nanoTime();
                vt.submit(() -> tx.executeWithoutResult(
                                s -> jobs.findById(anyJob).orElseThrow()))
                        .get();
                micros.add((System.nanoTime() - start) / 1000);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        System.out.printf(
                "floor: JPA findById in a transaction, virtual thread p50 %.2f ms p99 %.2f ms%n",
                pct(micros.subList(1000, 2000), 50), pct(micros.subList(1000, 2000), 99));
        var store = system.api().getBean(dev.transcriber.common.storage.ObjectStore.class);
        byte[] blob = new byte[48_000];
        micros.clear();
        for (int i = 0; i < 1000; i++) {
            long start = System.nanoTime();
            store.put("bench/" + i, new java.io.ByteArrayInputStream(blob), -1, "audio/wav");
            micros.add((System.nanoTime() - start) / 1000);
        }
        System.out.printf(
                "floor: s3 put 48 KB, unknown length p50 %.2f ms p99 %.2f ms%n",
                pct(micros.subList(500, 1000), 50), pct(micros.subList(500, 1000), 99));
        micros.clear();
        for (int i = 0; i < 1000; i++) {
            long start = System.nanoTime();
            store.put("bench/" + i, new java.io.ByteArrayInputStream(blob), blob.length, "audio/wav");
            micros.add((System.nanoTime() - start) / 1000);
        }
        System.out.printf(
                "floor: s3 put 48 KB, known length p50 %.2f ms p99 %.2f ms%n",
                pct(micros.subList(500, 1000), 50), pct(micros.subList(500, 1000), 99));
    }

    private static void held(HttpClient http, HttpRequest viaGateway, LocalSystem system, FakeUpstream upstream)
            throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        long heapBefore = usedHeapAfterGc();
        int threadsBefore = threads.getThreadCount();
        upstream.hold();
        PendingCompletions pending = system.api().getBean(PendingCompletions.class);
        List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
        for (int i = 0; i < HELD; i++) {
            calls.add(http.sendAsync(viaGateway, HttpResponse.BodyHandlers.discarding()));
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (pending.size() < HELD && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        int held = pending.size();
        long heapHeld = usedHeapAfterGc();
        int threadsHeld = threads.getThreadCount();
        upstream.open();
        int ok = 0;
        for (var call : calls) {
            if (call.get().statusCode() == 200) {
                ok++;
            }
        }
        System.out.printf(
                "held %d requests open at once: heap after GC %d MB -> %d MB (+%.1f MB, %.1f KB per held request,"
                        + " load generator's side included); platform threads %d -> %d; %d/%d answered 200 once released%n",
                held,
                heapBefore >> 20,
                heapHeld >> 20,
                (heapHeld - heapBefore) / 1048576.0,
                (heapHeld - heapBefore) / 1024.0 / Math.max(1, held),
                threadsBefore,
                threadsHeld,
                ok,
                HELD);
    }

    /** Where a gateway request's time went, from the job rows of the last {@code n} jobs. */
    private static void hops(LocalSystem system, int n) {
        var jdbc = system.api().getBean(org.springframework.jdbc.core.JdbcTemplate.class);
        List<double[]> rows = jdbc.query(
                "select extract(epoch from started_at - created_at) * 1000, extract(epoch from finished_at - started_at) * 1000"
                        + " from transcription_jobs order by created_at desc limit ?",
                (rs, i) -> new double[] {rs.getDouble(1), rs.getDouble(2)},
                n);
        List<Long> queued = rows.stream().map(r -> (long) (r[0] * 1000)).toList();
        List<Long> working = rows.stream().map(r -> (long) (r[1] * 1000)).toList();
        System.out.printf(
                "    job rows: created->started p50 %6.2f ms p99 %6.2f ms | started->finished p50 %6.2f ms p99 %6.2f ms%n",
                pct(queued, 50), pct(queued, 99), pct(working, 50), pct(working, 99));
    }

    private static List<Long> measure(HttpClient http, HttpRequest request, int concurrency, int total)
            throws Exception {
        List<Long> micros = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            int each = total / concurrency;
            for (int c = 0; c < concurrency; c++) {
                runs.add(clients.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        long start = System.nanoTime();
                        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                            throw new IllegalStateException(response.statusCode() + " " + response.body());
                        }
                        micros.add((System.nanoTime() - start) / 1000);
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        }
        return micros;
    }

    private static double pct(List<Long> micros, int percentile) {
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index)) / 1000.0;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    private SyncPathBenchmark() {}
}
