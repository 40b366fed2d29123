package dev.transcriber.standalone.bench;

import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * <p>Run with {@code bench/intake.sh}. {@code -Dbench.acceptOnly=true -Dbench.asyncSlots=0} measures the api alone (no
 * worker takes the jobs). Jobs are sent first, 1,000 at a time by the same clients, until the JIT has settled
 * ({@link WarmUp}: at least {@code bench.warmUp}, 2,000; with {@code acceptOnly}, exactly that many, as they stay
 * queued); then the floor of the durable hops is measured ({@code -Dbench.floor=false} skips it), and the ratio of the
 * machine's CPU per job to the floor's is printed. A JFR profile of the measured stretch (from the first submission to
 * the last job's end) says where this JVM's CPU went ({@link JfrProfile}); the PostgreSQL processes' CPU per job is
 * printed beside it. Everything runs in one JVM on loopback: infrastructure, both services, the fake upstream and the
 * clients.
 */
public final class IntakeBenchmark {

    /** The clients' threads, named so the profile tells them from the system's. */
    private static final java.util.concurrent.ThreadFactory CLIENT_THREADS =
            Thread.ofVirtual().name("bench-client-", 0).factory();

    public static void main(String[] args) throws Exception {
        int jobs = Integer.getInteger("bench.jobs", 3000);
        int clients = Integer.getInteger("bench.clients", 32);
        try (FakeUpstream upstream = new FakeUpstream(Duration.ZERO);
                LocalInfrastructure infra = BenchSystem.infrastructure()) {
            LocalSystem system = BenchSystem.start(
                    infra,
                    upstream.baseUrl(),
                    256,
                    "--transcriber.worker.max-in-flight-async=" + Integer.getInteger("bench.asyncSlots", 64));
            try {
                run(system, new PostgresWork(infra.postgres()), jobs, clients);
            } finally {
                system.close();
            }
        }
        System.exit(0);
    }

    private static void run(LocalSystem system, PostgresWork postgresWork, int jobs, int clients) throws Exception {
        byte[] audio = TestAudio.toneWav(3.2); // ~100 KB
        Multipart form =
                new Multipart().file("file", "clip.wav", "audio/wav", audio).field("model", "gpt-4o-transcribe");
        byte[] body = form.build();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newThreadPerTaskExecutor(CLIENT_THREADS))
                .build();
        HttpRequest submit = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + system.apiPort() + "/v1/transcription_jobs"))
                .header("Authorization", "Bearer " + BenchSystem.KEY)
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        JdbcClient jdbc = system.api().getBean(JdbcClient.class);
        // the warm-up submits as the measured stretch does (the same clients at once): warmed one job after the
        // other, the JIT compiled the concurrent paths during the measured stretch (its threads took 28% of a core)
        WarmUp.Block submitting =
                pieces -> byClients(clients, pieces, i -> http.send(submit, HttpResponse.BodyHandlers.discarding()));
        if (Boolean.getBoolean("bench.acceptOnly")) {
            // no worker takes them: the warm-up's jobs stay, so no more of them than asked for
            submitting.run(Integer.getInteger("bench.warmUp", 2000));
        } else {
            WarmUp.untilJitSettles("jobs submitted by " + clients + " clients at once, and run", 1000, pieces -> {
                submitting.run(pieces);
                waitUntilEnded(jdbc, pieces, Duration.ofMinutes(5));
                jdbc.sql("delete from transcription_jobs").update();
            });
        }
        double floorCpuMs = Double.NaN;
        if (Boolean.parseBoolean(System.getProperty("bench.floor", "true"))) {
            floorCpuMs = floor(system, audio, clients);
        }

        System.out.printf(Locale.ROOT, "submitting %d jobs of %d bytes from %d clients%n", jobs, audio.length, clients);
        AtomicInteger refused = new AtomicInteger();
        Stages stages = Stages.of(system);
        stages.mark();
        PostgresWork.Snapshot postgresBefore = postgresWork.snapshot();
        String selector = "HttpClient-" + http.toString().replaceAll(".*\\((\\d+)\\)$", "$1") + "-SelectorManager";
        JfrProfile profile = new JfrProfile("intake", JfrProfile.benchThreads().or(selector::equals));
        profile.start();
        long started = System.nanoTime();
        MachineCpu cpu = MachineCpu.start();
        PostgresCpu postgres = PostgresCpu.start();
        ThreadCpu threadsBefore = ThreadCpu.now(ThreadCpu::pool);
        byClients(clients, jobs, i -> {
            if (http.send(submit, HttpResponse.BodyHandlers.discarding()).statusCode() != 202) {
                refused.incrementAndGet();
            }
        });
        double accepting = (System.nanoTime() - started) / 1e9;
        double acceptingCpuMs = cpu.busyMillis();
        double acceptingUtilisation = cpu.utilisation();
        double acceptingJvmMs = cpu.jvmMillis();
        double acceptingPostgresMs = postgres.millis();
        if (Boolean.getBoolean("bench.acceptOnly")) {
            System.out.printf(
                    Locale.ROOT,
                    "accepted %d in %.2f s = %.0f jobs/s with no worker taking them;"
                            + " machine CPU %.1f ms per job (%.1f ms of it in this JVM), cores %.0f%% busy%n",
                    jobs - refused.get(),
                    accepting,
                    (jobs - refused.get()) / accepting,
                    acceptingCpuMs / jobs,
                    acceptingJvmMs / jobs,
                    100 * acceptingUtilisation);
            profile.stop();
            printFloorRatio(acceptingCpuMs / jobs, floorCpuMs, acceptingPostgresMs / jobs, "accepted");
            profile.print("accepting " + jobs + " jobs (no worker)");
            return;
        }
        waitUntilEnded(jdbc, jobs, Duration.ofMinutes(10));
        double completing = (System.nanoTime() - started) / 1e9;
        ThreadCpu threads = ThreadCpu.now(ThreadCpu::pool).since(threadsBefore);
        double machineCpuMs = cpu.busyMillis();
        double jvmCpuMs = cpu.jvmMillis();
        double postgresCpuMs = postgres.millis();
        double utilisation = cpu.utilisation();
        profile.stop();
        int succeeded = jdbc.sql("select count(*) from transcription_jobs where state = 'SUCCEEDED'")
                .query(Integer.class)
                .single();
        System.out.printf(
                Locale.ROOT,
                "accepted %d in %.2f s = %.0f jobs/s (%d not 202); completed %d in %.2f s = %.0f jobs/s;"
                        + " machine CPU %.1f ms per job accepted and completed (%.1f ms of it in this JVM),"
                        + " cores %.0f%% busy%n",
                jobs - refused.get(),
                accepting,
                (jobs - refused.get()) / accepting,
                refused.get(),
                succeeded,
                completing,
                succeeded / completing,
                machineCpuMs / jobs,
                jvmCpuMs / jobs,
                100 * utilisation);
        System.out.println("mean ms per worker step: " + stages.sinceMark());
        System.out.printf(
                Locale.ROOT,
                "this JVM's threads by CPU (/proc/self/task, numbers as #, clients and fake upstream included;"
                        + " context switches per job: %.1f), top 16:%n",
                (double) threads.switches() / jobs);
        threads.print(16, completing * 1000, jobs, " per job");
        PostgresWork.settle();
        System.out.println("PostgreSQL per job (the harness's polls for the end included): "
                + postgresWork.perRequest(postgresBefore, postgresWork.snapshot(), jobs, 0));
        printFloorRatio(machineCpuMs / jobs, floorCpuMs, postgresCpuMs / jobs, "accepted and completed");
        // the JIT does not settle here: after 30,000 warm-up jobs it still compiled about 40 methods a second (most
        // for the first time with C2), the long tail of this JVM's code reaching the compile thresholds
        double compilerMs = threads.millis("C# CompilerThre");
        System.out.printf(
                Locale.ROOT,
                "of it the JIT's compiler threads: %.2f ms per job (%.0f%% of a core); the rest %.2f ms per job ="
                        + " %.2fx the floor%n",
                compilerMs / jobs,
                100 * compilerMs / (completing * 1000),
                (machineCpuMs - compilerMs) / jobs,
                (machineCpuMs - compilerMs) / jobs / floorCpuMs);
        profile.print("submitting " + jobs + " jobs until the last one ended");
    }

    /**
     * What the durable hops of one accepted job cost in CPU, done straight from this JVM by the same number of
     * clients: a put of the audio to the object store, an insert and commit in PostgreSQL, a Kafka send. No HTTP
     * intake, no Spring MVC, no Hibernate: the floor under any design on this stack and machine.
     */
    private static double floor(LocalSystem system, byte[] audio, int clients) throws Exception {
        var store = system.api().getBean(dev.transcriber.common.storage.ObjectStore.class);
        var jdbc = system.api().getBean(JdbcClient.class);
        @SuppressWarnings("unchecked")
        var kafka = (org.springframework.kafka.core.KafkaTemplate<String, String>)
                system.api().getBean(org.springframework.kafka.core.KafkaTemplate.class);
        jdbc.sql("create table if not exists bench_floor (id bigserial primary key, payload text)")
                .update();
        String row = "x".repeat(1000);
        Hop put =
                i -> store.put("bench-floor/" + i, new java.io.ByteArrayInputStream(audio), audio.length, "audio/wav");
        Hop insert = i -> jdbc.sql("insert into bench_floor (payload) values (?)")
                .param(row)
                .update();
        Hop send = i -> kafka.send("bench-floor", String.valueOf(i), row).get();
        floorRound("all three (warm-up)", clients, put, insert, send);
        floorRound("s3 put " + audio.length / 1024 + " KB", clients, put);
        floorRound("postgres insert/commit", clients, insert);
        floorRound("kafka send", clients, send);
        return floorRound("all three", clients, put, insert, send);
    }

    private static void printFloorRatio(double machineCpuMs, double floorCpuMs, double postgresCpuMs, String what) {
        System.out.printf(
                Locale.ROOT,
                "floor ratio: machine CPU %.2f ms per job %s / floor (all three) %.2f ms = %.2fx;"
                        + " PostgreSQL processes %.2f ms per job%n",
                machineCpuMs,
                what,
                floorCpuMs,
                machineCpuMs / floorCpuMs,
                postgresCpuMs);
    }

    /** One numbered piece of work: a submission, or a hop of the floor. */
    @FunctionalInterface
    private interface Hop {
        void run(int i) throws Exception;
    }

    /** Runs {@code work} for 0 to {@code n - 1}, each number once, from {@code clients} virtual threads at once. */
    private static void byClients(int clients, int n, Hop work) throws Exception {
        AtomicInteger next = new AtomicInteger();
        try (ExecutorService pool = Executors.newThreadPerTaskExecutor(CLIENT_THREADS)) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        work.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
    }

    /** Runs the hops 4,000 times from {@code clients} clients; returns the machine's CPU milliseconds per run. */
    private static double floorRound(String name, int clients, Hop... hops) throws Exception {
        int n = 4000;
        long started = System.nanoTime();
        MachineCpu cpu = MachineCpu.start();
        byClients(clients, n, i -> {
            for (Hop hop : hops) {
                hop.run(i);
            }
        });
        double seconds = (System.nanoTime() - started) / 1e9;
        double machineMs = cpu.busyMillis();
        System.out.printf(
                Locale.ROOT,
                "floor, %s, %d clients: %.0f/s; machine CPU %.2f ms each (%.2f ms of it in this JVM), cores %.0f%% busy%n",
                name,
                clients,
                n / seconds,
                machineMs / n,
                cpu.jvmMillis() / n,
                100 * cpu.utilisation());
        return machineMs / n;
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
