package dev.transcriber.standalone.bench;

import dev.transcriber.api.completion.PendingCompletions;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.support.TestAudio;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * The synchronous path as a user meets it: a 113 KB WAV sent the way the official OpenAI Node SDK sends
 * {@code audio.transcriptions.create({file, model})} ({@link NodeSdkRequest}), to the gateway and to the same fake
 * upstream directly, at 1 and at 50 concurrent requests.
 *
 * <p>Before anything is measured, the JVM is warmed up until its JIT has settled ({@link WarmUp}): gateway calls
 * 1,000 at a time, at 50 and at 8 concurrent in turn (the paths a contended run takes are compiled too). For each
 * concurrency, {@code bench.rounds} rounds (10) each run a block of direct calls, a block of gateway calls and a
 * block of the floor, in alternating order (direct, gateway, floor; then floor, gateway, direct), so
 * drift on the machine hits all three alike. Printed per concurrency: p50/p99 of direct, gateway and added (gateway
 * minus direct); the whole machine's CPU per request ({@code /proc/stat}, every process) for each; the PostgreSQL
 * processes' CPU per request; the ratio of the gateway's CPU to the floor's. The floor is the durable hops of one
 * request done straight from this JVM with the system's own clients, one after the other per request, at the same
 * concurrency: an S3 put of the same audio ({@link ObjectStore}), a PostgreSQL insert and commit of a ~300-byte row,
 * a Kafka send with acks=all to a bench topic. At 50 concurrent, a JFR profile of the gateway blocks (only those)
 * says where this JVM's CPU went ({@link JfrProfile}). Then, unless {@code -Dbench.held=0}, the heap and platform
 * threads it takes to hold 2,000 requests open (sent in waves of 50, each once the last is held).
 *
 * <p>Run with {@code bench/sync-latency.sh}. Everything runs in one JVM on loopback: infrastructure, both services,
 * the fake upstream and the load generator.
 */
public final class SyncPathBenchmark {

    private static final int HELD = Integer.getInteger("bench.held", 2000);
    private static final int REQUESTS = Integer.getInteger("bench.requests", 2000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 10);
    /** The concurrency whose gateway blocks JFR records: 50 (the default) or 1. */
    private static final int PROFILED = Integer.getInteger("bench.profiled", 50);
    /** 3.615 s of 16 kHz 16-bit mono: 115,724 bytes, 113.0 KiB. */
    private static final double AUDIO_SECONDS = Double.parseDouble(System.getProperty("bench.audioSeconds", "3.615"));

    private static final ThreadFactory CLIENT_THREADS =
            Thread.ofVirtual().name("bench-client-", 0).factory();

    public static void main(String[] args) throws Exception {
        Duration upstreamLatency = Duration.ofMillis(Long.getLong("bench.upstreamLatencyMs", 20));
        try (FakeUpstream upstream = new FakeUpstream(upstreamLatency);
                LocalInfrastructure infra = BenchSystem.infrastructure()) {
            LocalSystem system = BenchSystem.start(infra, upstream.baseUrl(), 4096);
            try {
                run(infra, system, upstream, upstreamLatency);
            } finally {
                system.close();
            }
        }
        System.exit(0);
    }

    /** One request's worth of work in a block: a call, or the floor's hops. */
    @FunctionalInterface
    private interface Work {
        void run() throws Exception;
    }

    /** What the blocks of one kind cost together: latencies, and the CPU of the stretches they ran in. */
    private static final class Tally {
        final List<Long> micros = Collections.synchronizedList(new ArrayList<>());
        double machineMs;
        double wallMs;
        double jvmMs;
        double postgresMs;
        int requests;
        ThreadCpu threads = ThreadCpu.none();

        double perRequest(double total) {
            return total / requests;
        }
    }

    private static void run(
            LocalInfrastructure infra, LocalSystem system, FakeUpstream upstream, Duration upstreamLatency)
            throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newThreadPerTaskExecutor(CLIENT_THREADS))
                .build();
        byte[] audio = TestAudio.toneWav(AUDIO_SECONDS);
        NodeSdkRequest sdk = NodeSdkRequest.transcription(audio, "clip.wav", "audio/wav", "gpt-4o-transcribe");
        HttpRequest direct = sdk.to(upstream.baseUrl() + "/audio/transcriptions", "bench-upstream");
        HttpRequest viaGateway =
                sdk.to("http://127.0.0.1:" + system.apiPort() + "/v1/audio/transcriptions", BenchSystem.KEY);
        Work directCall = () -> call(http, direct);
        Work gatewayCall = () -> call(http, viaGateway);
        Work floor = floor(system, audio);
        PostgresWork postgres = new PostgresWork(infra.postgres());

        System.out.printf(
                Locale.ROOT,
                "audio %,d bytes (%.1f KiB WAV), multipart body %,d bytes as the OpenAI Node SDK %s sends it"
                        + " (file part first, then model); fake upstream latency %d ms; %d rounds per concurrency%n",
                audio.length,
                audio.length / 1024.0,
                sdk.bodyLength(),
                NodeSdkRequest.SDK_VERSION,
                upstreamLatency.toMillis(),
                ROUNDS);
        block(8, 1000, directCall, new Tally());
        block(8, 1000, floor, new Tally());
        int[] warmUps = {0};
        WarmUp.untilJitSettles(
                "gateway calls, 50 and 8 concurrent in turn",
                1000,
                pieces -> block(warmUps[0]++ % 2 == 0 ? 50 : 8, pieces, gatewayCall, new Tally()));

        String selector = "HttpClient-" + http.toString().replaceAll(".*\\((\\d+)\\)$", "$1") + "-SelectorManager";
        JfrProfile profile = new JfrProfile(
                "sync-" + PROFILED + "-gateway", JfrProfile.benchThreads().or(selector::equals));
        int[] levels = Boolean.getBoolean("bench.onlySerial") ? new int[] {1} : new int[] {1, 50};
        List<String> summary = new ArrayList<>();
        for (int concurrency : levels) {
            int n = concurrency == 1 ? Math.min(REQUESTS, 500) : REQUESTS;
            int perBlock = Math.max(concurrency, n / ROUNDS / concurrency * concurrency);
            Tally d = new Tally();
            Tally g = new Tally();
            Tally f = new Tally();
            Stages stages = Stages.of(system);
            stages.mark();
            PostgresWork.Snapshot postgresBefore = postgres.snapshot();
            for (int round = 0; round < ROUNDS; round++) {
                boolean profiled = concurrency == PROFILED;
                if (round % 2 == 0) {
                    block(concurrency, perBlock, directCall, d);
                    gatewayBlock(concurrency, perBlock, gatewayCall, g, profiled ? profile : null);
                    block(concurrency, perBlock, floor, f);
                } else {
                    block(concurrency, perBlock, floor, f);
                    gatewayBlock(concurrency, perBlock, gatewayCall, g, profiled ? profile : null);
                    block(concurrency, perBlock, directCall, d);
                }
            }
            String latency = String.format(
                    Locale.ROOT,
                    "concurrency %2d (%d rounds of %d): direct p50 %6.2f ms p99 %6.2f ms | gateway p50 %7.2f ms p99 %7.2f"
                            + " ms | added p50 %7.2f ms p99 %7.2f ms",
                    concurrency,
                    ROUNDS,
                    perBlock,
                    pct(d.micros, 50),
                    pct(d.micros, 99),
                    pct(g.micros, 50),
                    pct(g.micros, 99),
                    pct(g.micros, 50) - pct(d.micros, 50),
                    pct(g.micros, 99) - pct(d.micros, 99));
            double gatewayCpu = g.perRequest(g.machineMs);
            double floorCpu = f.perRequest(f.machineMs);
            String cpu = String.format(
                    Locale.ROOT,
                    "    machine CPU per request: gateway %.2f ms (cores %.0f%% busy), floor %.2f ms (cores %.0f%% busy),"
                            + " direct %.2f ms; gateway/floor %.2fx (goal <= 2x at 50 concurrent)",
                    gatewayCpu,
                    100 * g.machineMs / g.wallMs / Runtime.getRuntime().availableProcessors(),
                    floorCpu,
                    100 * f.machineMs / f.wallMs / Runtime.getRuntime().availableProcessors(),
                    d.perRequest(d.machineMs),
                    gatewayCpu / floorCpu);
            String split = String.format(
                    Locale.ROOT,
                    "    of it, this JVM: gateway %.2f ms, floor %.2f ms; PostgreSQL processes: gateway %.2f ms, floor"
                            + " %.2f ms per request",
                    g.perRequest(g.jvmMs),
                    f.perRequest(f.jvmMs),
                    g.perRequest(g.postgresMs),
                    f.perRequest(f.postgresMs));
            String floorLine = String.format(
                    Locale.ROOT,
                    "    floor (S3 put %d KiB + PostgreSQL insert/commit ~300 B + Kafka send acks=all, one after the"
                            + " other): p50 %.2f ms p99 %.2f ms",
                    audio.length / 1024,
                    pct(f.micros, 50),
                    pct(f.micros, 99));
            for (String line : List.of(latency, cpu, split, floorLine)) {
                System.out.println(line);
                summary.add(line);
            }
            hops(system, g.requests);
            System.out.println("    mean ms per step: " + stages.sinceMark());
            System.out.printf(
                    Locale.ROOT,
                    "    this JVM's threads by CPU in the gateway blocks (/proc/self/task, numbers as #, load"
                            + " generator and fake upstream included; context switches per request: %.1f), top 12:%n",
                    (double) g.threads.switches() / g.requests);
            g.threads.print(12, g.wallMs, g.requests, " per request");
            if (concurrency == 1) {
                PostgresWork.settle();
                System.out.println("    PostgreSQL per request: "
                        + postgres.perRequest(postgresBefore, postgres.snapshot(), g.requests, f.requests));
            }
        }
        if (PROFILED == 1 || !Boolean.getBoolean("bench.onlySerial")) {
            profile.print(
                    "the gateway blocks at " + (PROFILED == 1 ? "1 request at a time" : PROFILED + " concurrent"));
        }
        if (HELD > 0) {
            held(http, viaGateway, system, upstream);
        }
        System.out.println("summary:");
        summary.forEach(System.out::println);
    }

    /**
     * When each gateway answer arrived (epoch microseconds, this JVM's clock, which the worker's {@code finished_at}
     * is taken from too), by job id: the last hop, from the job's end to its caller.
     */
    private static final Map<UUID, Long> ANSWERED = new ConcurrentHashMap<>();

    private static void call(HttpClient http, HttpRequest request) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        long arrived = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        response.headers()
                .firstValue("X-Transcription-Job-Id")
                .ifPresent(id -> ANSWERED.put(UUID.fromString(id), arrived));
    }

    /**
     * The durable hops of one request, straight from this JVM with the system's own clients: the audio to the object
     * store, a row inserted and committed in PostgreSQL, a Kafka send acknowledged by all replicas.
     */
    private static Work floor(LocalSystem system, byte[] audio) {
        ObjectStore store = system.api().getBean(ObjectStore.class);
        JdbcClient jdbc = system.api().getBean(JdbcClient.class);
        @SuppressWarnings("unchecked")
        KafkaTemplate<String, String> kafka = system.api().getBean(KafkaTemplate.class);
        jdbc.sql("create table if not exists bench_floor (id bigserial primary key, payload text)")
                .update();
        String row = "x".repeat(300);
        AtomicLong next = new AtomicLong();
        return () -> {
            long i = next.incrementAndGet();
            store.put("bench-floor/" + i, new ByteArrayInputStream(audio), audio.length, "audio/wav");
            jdbc.sql("insert into bench_floor (payload) values (?)").param(row).update();
            kafka.send("bench-floor", String.valueOf(i), row).get();
        };
    }

    private static void gatewayBlock(int concurrency, int total, Work work, Tally tally, JfrProfile profile)
            throws Exception {
        if (profile != null) {
            profile.start();
        }
        block(concurrency, total, work, tally);
        if (profile != null) {
            profile.stop();
        }
    }

    /** {@code total} pieces of work from {@code concurrency} clients at once; adds latencies and CPU to the tally. */
    private static void block(int concurrency, int total, Work work, Tally tally) throws Exception {
        ThreadCpu threadsBefore = ThreadCpu.now(ThreadCpu::pool);
        MachineCpu machine = MachineCpu.start();
        PostgresCpu postgres = PostgresCpu.start();
        try (ExecutorService clients = Executors.newThreadPerTaskExecutor(CLIENT_THREADS)) {
            List<Future<?>> runs = new ArrayList<>();
            int each = total / concurrency;
            for (int c = 0; c < concurrency; c++) {
                runs.add(clients.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        long start = System.nanoTime();
                        work.run();
                        tally.micros.add((System.nanoTime() - start) / 1000);
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        }
        tally.machineMs += machine.busyMillis();
        tally.wallMs += machine.wallMillis();
        tally.jvmMs += machine.jvmMillis();
        tally.postgresMs += postgres.millis();
        tally.requests += total / concurrency * concurrency;
        tally.threads = tally.threads.plus(ThreadCpu.now(ThreadCpu::pool).since(threadsBefore));
    }

    private static void held(HttpClient http, HttpRequest viaGateway, LocalSystem system, FakeUpstream upstream)
            throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        long heapBefore = usedHeapAfterGc();
        int threadsBefore = threads.getThreadCount();
        upstream.hold();
        PendingCompletions pending = system.api().getBean(PendingCompletions.class);
        List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
        // Sent in waves of bench.heldWave (50), each once the last is held or answered: this measures holding
        // requests open, not a burst of 2,000 uploads at once (whose refusals would then be counted as well).
        int wave = Integer.getInteger("bench.heldWave", 50);
        long started = System.nanoTime();
        long deadline = started + Duration.ofMinutes(3).toNanos();
        while (calls.size() < HELD && System.nanoTime() < deadline) {
            for (int i = 0; i < wave && calls.size() < HELD; i++) {
                calls.add(http.sendAsync(viaGateway, HttpResponse.BodyHandlers.discarding()));
            }
            while (pending.size()
                                    + calls.stream()
                                            .filter(CompletableFuture::isDone)
                                            .count()
                            < calls.size()
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        int held = pending.size();
        long answeredEarly = calls.stream().filter(CompletableFuture::isDone).count();
        double sendingSeconds = (System.nanoTime() - started) / 1e9;
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
                        + " load generator's side included); platform threads %d -> %d; %d/%d answered 200 once released"
                        + " (sent in waves of %d over %.1f s; %d answered before the release)%n",
                held,
                heapBefore >> 20,
                heapHeld >> 20,
                (heapHeld - heapBefore) / 1048576.0,
                (heapHeld - heapBefore) / 1024.0 / Math.max(1, held),
                threadsBefore,
                threadsHeld,
                ok,
                HELD,
                wave,
                sendingSeconds,
                answeredEarly);
    }

    /** Where a gateway request's time went, from the job rows of the last {@code n} jobs. */
    private static void hops(LocalSystem system, int n) {
        var jdbc = system.api().getBean(org.springframework.jdbc.core.JdbcTemplate.class);
        List<double[]> rows = jdbc.query(
                "select extract(epoch from started_at - created_at) * 1000, extract(epoch from finished_at - started_at) * 1000,"
                        + " id, extract(epoch from finished_at) * 1000000"
                        + " from transcription_jobs order by created_at desc limit ?",
                (rs, i) -> {
                    Long answered = ANSWERED.get(rs.getObject(3, UUID.class));
                    return new double[] {
                        rs.getDouble(1), rs.getDouble(2), answered == null ? -1 : (answered - rs.getDouble(4)) / 1000
                    };
                },
                n);
        List<Long> queued = rows.stream().map(r -> (long) (r[0] * 1000)).toList();
        List<Long> working = rows.stream().map(r -> (long) (r[1] * 1000)).toList();
        List<Long> answering = rows.stream()
                .filter(r -> r[2] >= 0)
                .map(r -> (long) (r[2] * 1000))
                .toList();
        System.out.printf(
                "    job rows: created->started p50 %6.2f ms p99 %6.2f ms | started->finished p50 %6.2f ms p99 %6.2f ms"
                        + " | finished->answer at the caller p50 %6.2f ms p99 %6.2f ms%n",
                pct(queued, 50),
                pct(queued, 99),
                pct(working, 50),
                pct(working, 99),
                answering.isEmpty() ? Double.NaN : pct(answering, 50),
                answering.isEmpty() ? Double.NaN : pct(answering, 99));
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
