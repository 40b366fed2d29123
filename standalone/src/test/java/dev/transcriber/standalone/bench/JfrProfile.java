package dev.transcriber.standalone.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where this JVM's CPU went over chosen stretches of a benchmark: JFR execution samples (every 10 ms, threads running
 * Java code) taken only while {@link #start()} .. {@link #stop()} are open (several stretches add up), each dumped to
 * {@code target/jfr/}, then summarised as the share of samples per component and the top methods by self samples.
 *
 * <p>A sample belongs to the component of the first frame, from the top of its stack, whose class is in a known
 * group (a JDK frame on top is passed over for the caller that made it run); a stack with none is "JDK/other". A
 * frame of {@code org.apache.kafka.common} (shared by the clients and the broker) counts as the broker when a broker
 * frame is further down. Threads of the benchmark itself (load generator, fake upstream) are a group of their own,
 * by thread name. Not in the samples: native code (libavformat through JNI, zlib), the JVM's GC and JIT threads, and
 * processes other than this JVM (PostgreSQL): the benchmarks print those separately.
 */
final class JfrProfile {

    /** The groups, in the order printed; the first whose prefixes match a frame's class wins for that frame. */
    private static final Map<String, List<String>> GROUPS = groups();

    private static final String BROKER = "Kafka broker";
    private static final String KAFKA_CLIENT = "Kafka client";
    private static final String HARNESS = "benchmark harness (load generator, fake upstream)";
    private static final String OTHER = "JDK/other";

    private final String name;
    private final Path dir;
    private final Predicate<String> harnessThread;
    private final Map<String, Long> byGroup = new LinkedHashMap<>();
    private final Map<String, Long> byMethod = new LinkedHashMap<>();
    private final List<Path> files = new ArrayList<>();
    private long samples;
    private long nativeSamples;
    private long nativeInBytedeco;
    private Recording recording;

    /**
     * @param name names the dump files
     * @param harnessThread true for the name of a thread that belongs to the benchmark, not to the system measured
     */
    JfrProfile(String name, Predicate<String> harnessThread) {
        this.name = name;
        this.harnessThread = harnessThread;
        this.dir = (Files.isDirectory(Path.of("standalone/target")) ? Path.of("standalone/target") : Path.of("target"))
                .resolve("jfr");
        try (var old = Files.exists(dir) ? Files.list(dir) : java.util.stream.Stream.<Path>empty()) {
            for (Path file : (Iterable<Path>) old::iterator) {
                if (file.getFileName().toString().startsWith(name + "-")) {
                    Files.delete(file); // the dumps of an earlier run
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GROUPS.keySet().forEach(group -> byGroup.put(group, 0L));
        byGroup.put(HARNESS, 0L);
        byGroup.put(OTHER, 0L);
    }

    /** Threads named {@code bench-*}, and the fake upstream's dispatcher, are the benchmark's own. */
    static Predicate<String> benchThreads() {
        return thread -> thread.startsWith("bench-") || thread.equals("HTTP-Dispatcher");
    }

    /** Opens a stretch: a new recording of execution samples every 10 ms (native method samples every 20 ms). */
    void start() {
        if (recording != null) {
            throw new IllegalStateException("already recording");
        }
        recording = new Recording();
        recording.setName(name);
        recording
                .enable("jdk.ExecutionSample")
                .withPeriod(Duration.ofMillis(10))
                .withStackTrace();
        recording
                .enable("jdk.NativeMethodSample")
                .withPeriod(Duration.ofMillis(20))
                .withStackTrace();
        recording.setToDisk(true);
        recording.start();
    }

    /** Closes the stretch, dumps it to {@code target/jfr/} and adds its samples to the summary. */
    void stop() {
        try {
            recording.stop();
            Files.createDirectories(dir);
            Path file = dir.resolve(String.format(Locale.ROOT, "%s-%02d.jfr", name, files.size() + 1));
            recording.dump(file);
            recording.close();
            recording = null;
            files.add(file);
            read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read(Path file) throws IOException {
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            String type = event.getEventType().getName();
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = stack.getFrames();
            if (type.equals("jdk.NativeMethodSample")) {
                nativeSamples++;
                if (frames.stream().anyMatch(f -> className(f).startsWith("org.bytedeco"))) {
                    nativeInBytedeco++;
                }
                continue;
            }
            if (!type.equals("jdk.ExecutionSample")) {
                continue;
            }
            samples++;
            RecordedThread thread = event.getThread("sampledThread");
            String threadName = thread == null ? "" : String.valueOf(thread.getJavaName());
            String group = harnessThread.test(threadName) ? HARNESS : group(frames);
            byGroup.merge(group, 1L, Long::sum);
            RecordedFrame top = frames.getFirst();
            byMethod.merge(className(top) + "." + top.getMethod().getName(), 1L, Long::sum);
        }
    }

    private static String group(List<RecordedFrame> frames) {
        for (int i = 0; i < frames.size(); i++) {
            String type = className(frames.get(i));
            if (type.startsWith("sun.net.httpserver.") || type.startsWith("dev.transcriber.standalone.bench.")) {
                return HARNESS; // only the fake upstream serves with the JDK's HTTP server
            }
            for (var entry : GROUPS.entrySet()) {
                if (entry.getValue().stream().anyMatch(type::startsWith)) {
                    if (entry.getKey().equals(KAFKA_CLIENT) && type.startsWith("org.apache.kafka.common.")) {
                        boolean broker = frames.subList(i + 1, frames.size()).stream()
                                .anyMatch(f -> GROUPS.get(BROKER).stream().anyMatch(className(f)::startsWith));
                        return broker ? BROKER : KAFKA_CLIENT;
                    }
                    return entry.getKey();
                }
            }
        }
        return OTHER;
    }

    private static String className(RecordedFrame frame) {
        return frame.getMethod() == null ? "" : frame.getMethod().getType().getName();
    }

    /** The summary: one line per component (share of samples), then the top methods by self samples. */
    void print(String title) {
        System.out.printf(
                Locale.ROOT,
                "JFR profile, %s: %d execution samples (10 ms, this JVM's threads running Java code), %d stretch(es)"
                        + " in %s%n",
                title,
                samples,
                files.size(),
                files.isEmpty() ? "-" : files.getFirst().getParent());
        if (samples == 0) {
            return;
        }
        byGroup.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> System.out.printf(
                        Locale.ROOT,
                        "    %5.1f%%  %6d  %s%n",
                        100.0 * e.getValue() / samples,
                        e.getValue(),
                        e.getKey()));
        System.out.printf(
                Locale.ROOT,
                "    native method samples (20 ms; on CPU or blocked in native code): %d, of them %d under org.bytedeco"
                        + " (ffmpeg/JNI)%n",
                nativeSamples,
                nativeInBytedeco);
        System.out.println("  top 20 methods by self samples:");
        byMethod.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(20)
                .forEach(e -> System.out.printf(
                        Locale.ROOT,
                        "    %5.1f%%  %6d  %s%n",
                        100.0 * e.getValue() / samples,
                        e.getValue(),
                        e.getKey()));
    }

    private static Map<String, List<String>> groups() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        groups.put(
                "Hibernate/JPA",
                List.of(
                        "org.hibernate.",
                        "jakarta.persistence.",
                        "org.springframework.data.",
                        "org.springframework.orm."));
        groups.put("JDBC driver", List.of("org.postgresql.", "com.zaxxer."));
        groups.put(KAFKA_CLIENT, List.of("org.apache.kafka.clients.", "org.apache.kafka.common."));
        groups.put(
                BROKER,
                List.of(
                        "kafka.",
                        "org.apache.kafka.server.",
                        "org.apache.kafka.storage.",
                        "org.apache.kafka.raft.",
                        "org.apache.kafka.metadata.",
                        "org.apache.kafka.controller.",
                        "org.apache.kafka.image.",
                        "org.apache.kafka.coordinator.",
                        "org.apache.kafka.network.",
                        "org.apache.kafka.queue.",
                        "org.apache.kafka.snapshot.",
                        "org.apache.kafka.security."));
        groups.put("S3 server (S3Proxy, Jetty, jclouds)", List.of("org.gaul.", "org.eclipse.jetty.", "org.jclouds."));
        groups.put("MinIO client (OkHttp, Okio)", List.of("io.minio.", "okhttp3.", "okio."));
        groups.put("Tomcat", List.of("org.apache.catalina.", "org.apache.coyote.", "org.apache.tomcat."));
        groups.put("Spring MVC/web", List.of("org.springframework.web."));
        groups.put("ffmpeg/JNI", List.of("org.bytedeco."));
        groups.put("JDK HTTP client", List.of("jdk.internal.net.http."));
        groups.put("Jackson", List.of("tools.jackson.", "com.fasterxml."));
        groups.put("the gateway's own code", List.of("dev.transcriber."));
        groups.put("logging/metrics/tracing", List.of("ch.qos.", "io.micrometer.", "io.opentelemetry."));
        return groups;
    }
}
