package dev.transcriber.standalone.bench;

import com.sun.management.ThreadMXBean;
import dev.transcriber.standalone.Standalone;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a started system costs when it has nothing to do: the local mode started exactly as {@code ./run.sh} starts
 * it ({@link Standalone#main} with {@code all}: embedded Kafka, PostgreSQL and S3 server, both services, the default
 * configuration, the local engine standing in for upstream accounts), no jobs. Once both services are ready and
 * {@code bench.settleSeconds} (20) have passed, {@code bench.seconds} (60) are measured: the whole machine's CPU as a
 * share of one core ({@code /proc/stat}, every process), split into this JVM and the PostgreSQL processes; the JVM's
 * threads by CPU time over the window (Java threads from the ThreadMXBean, virtual threads' carriers under their own
 * names; and every native thread from {@code /proc/self/task}, GC and JIT included). Then a second window of the same
 * length under JFR ({@code -Dbench.jfr=false} skips it), so the profiler's own cost stays out of the first.
 *
 * <p>With {@code -Dbench.mode=infra}, the floor: the same embedded Kafka, PostgreSQL and S3 server started alone,
 * as {@code ./run.sh infra} starts them ({@link Standalone#main} with {@code infra}), with no service, no topic and no
 * client, measured the same way. What the system costs
 * above it is the services' own.
 *
 * <p>Run with {@code bench/idle.sh}, which runs the floor and then the system, each in a JVM of its own, on the same
 * class path as the jar {@code ./run.sh} starts, with the data under a temporary {@code TRANSCRIBER_HOME} and free
 * ports.
 */
public final class IdleBenchmark {

    public static void main(String[] args) throws Exception {
        long settle = Long.getLong("bench.settleSeconds", 20);
        long seconds = Long.getLong("bench.seconds", 60);
        boolean floor = System.getProperty("bench.mode", "all").equals("infra");
        String what = floor ? "idle floor (the infrastructure alone)" : "idle";
        Thread local = new Thread(
                () -> {
                    try {
                        Standalone.main(new String[] {floor ? "infra" : "all"});
                    } catch (Exception e) {
                        e.printStackTrace();
                        System.exit(1);
                    }
                },
                "bench-standalone-main");
        local.setDaemon(true);
        long startedAt = System.nanoTime();
        local.start();
        if (floor) {
            awaitListening(env("S3_PORT", "19000"), Duration.ofMinutes(5)); // the last of the three to start
        } else {
            awaitReady(env("PORT", "8080"), Duration.ofMinutes(5));
            awaitReady(env("WORKER_PORT", "8081"), Duration.ofMinutes(5));
        }
        System.out.printf(
                Locale.ROOT,
                "%s: %s ready %.1f s after the start; settling %d s, then measuring %d s%n",
                what,
                floor ? "the infrastructure" : "both services",
                (System.nanoTime() - startedAt) / 1e9,
                settle,
                seconds);
        Thread.sleep(Duration.ofSeconds(settle));

        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<Long, String> namesBefore = javaThreadNames(threads);
        Map<Long, Long> javaBefore = javaThreadCpu(threads, namesBefore);
        ThreadCpu nativeBefore = ThreadCpu.now();
        MachineCpu machine = MachineCpu.start();
        PostgresCpu postgres = PostgresCpu.start();
        Thread.sleep(Duration.ofSeconds(seconds));
        double machineMs = machine.busyMillis();
        double wallMs = machine.wallMillis();
        double jvmMs = machine.jvmMillis();
        double postgresMs = postgres.millis();
        Map<Long, String> namesAfter = javaThreadNames(threads);
        Map<Long, Long> javaAfter = javaThreadCpu(threads, namesAfter);
        ThreadCpu nativeAfter = ThreadCpu.now();

        ThreadCpu window = nativeAfter.since(nativeBefore);
        String summary = String.format(
                Locale.ROOT,
                "%s over %.0f s: machine CPU %.2f%% of one core (goal <= 2%%): this JVM %.2f%% (%.0f context switches"
                        + " a second), PostgreSQL processes (%d) %.2f%%, everything else %.2f%%",
                what,
                wallMs / 1000,
                100 * machineMs / wallMs,
                100 * jvmMs / wallMs,
                window.switches() * 1000 / wallMs,
                postgres.processes(),
                100 * postgresMs / wallMs,
                100 * (machineMs - jvmMs - postgresMs) / wallMs);
        System.out.println(summary);
        System.out.printf(
                Locale.ROOT,
                "top 15 Java threads of this JVM by CPU over the window (ThreadMXBean; %d threads, %d started and %d"
                        + " ended in the window):%n",
                namesAfter.size(),
                namesAfter.keySet().stream()
                        .filter(id -> !namesBefore.containsKey(id))
                        .count(),
                namesBefore.keySet().stream()
                        .filter(id -> !namesAfter.containsKey(id))
                        .count());
        javaAfter.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - javaBefore.getOrDefault(e.getKey(), 0L)))
                .sorted(Map.Entry.<Long, Long>comparingByValue().reversed())
                .limit(15)
                .forEach(e -> System.out.printf(
                        Locale.ROOT,
                        "    %8.1f ms  %5.2f%% of a core  %s%n",
                        e.getValue() / 1e6,
                        100 * e.getValue() / 1e6 / wallMs,
                        namesAfter.get(e.getKey())));
        System.out.println("top 15 threads of this JVM by CPU, every native thread (/proc/self/task; names cut to 15"
                + " characters by the kernel; GC, JIT and VM threads included; same name summed):");
        window.print(15, wallMs, 1, "");

        if (Boolean.parseBoolean(System.getProperty("bench.jfr", "true"))) {
            JfrProfile profile = new JfrProfile(floor ? "idle-floor" : "idle", name -> name.startsWith("bench-"));
            profile.start();
            MachineCpu profiled = MachineCpu.start();
            Thread.sleep(Duration.ofSeconds(seconds));
            double profiledMs = profiled.busyMillis();
            double profiledWall = profiled.wallMillis();
            double profiledJvm = profiled.jvmMillis();
            profile.stop();
            System.out.printf(
                    Locale.ROOT,
                    "second window of %.0f s under JFR: machine CPU %.2f%% of one core, this JVM %.2f%%%n",
                    profiledWall / 1000,
                    100 * profiledMs / profiledWall,
                    100 * profiledJvm / profiledWall);
            profile.print("the idle system over " + seconds + " s");
        }
        System.out.println("summary: " + summary);
        System.exit(0);
    }

    private static Map<Long, String> javaThreadNames(ThreadMXBean threads) {
        Map<Long, String> names = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                names.put(info.getThreadId(), info.getThreadName());
            }
        }
        return names;
    }

    private static Map<Long, Long> javaThreadCpu(ThreadMXBean threads, Map<Long, String> names) {
        long[] ids = names.keySet().stream().mapToLong(Long::longValue).toArray();
        long[] cpu = threads.getThreadCpuTime(ids);
        Map<Long, Long> byId = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (cpu[i] >= 0) {
                byId.put(ids[i], cpu[i]);
            }
        }
        return byId;
    }

    private static void awaitReady(String port, Duration limit) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            awaitReady(http, port, limit);
        }
    }

    private static void awaitReady(HttpClient http, String port, Duration limit) throws Exception {
        HttpRequest ready = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                .timeout(Duration.ofSeconds(5))
                .build();
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("port " + port + " not ready within " + limit);
    }

    private static void awaitListening(String port, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(port))) {
                return;
            } catch (IOException e) {
                Thread.sleep(500); // not listening yet
            }
        }
        throw new IllegalStateException("port " + port + " not listening within " + limit);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private IdleBenchmark() {}
}
