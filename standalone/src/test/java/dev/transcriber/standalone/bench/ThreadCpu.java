package dev.transcriber.standalone.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * CPU time of the native threads of this JVM ({@code /proc/self/task}: utime + stime; GC, JIT and VM threads
 * included), and how often they left the CPU (context switches, voluntary: a thread that waits, and involuntary: one
 * preempted), summed by a name chosen by the caller. The kernel cuts thread names to 15 characters. A reading is kept
 * per thread, so a window counts what each thread spent in it: a thread started inside the window counts whole, and
 * one that ended inside it is left out (its last ticks are gone with it), without taking its earlier CPU out of the
 * sum of its name.
 */
final class ThreadCpu {

    private static final double TICK_MS = 10.0; // USER_HZ is 100 on Linux

    private record Reading(String group, long ticks, long switches) {}

    /** A reading: every thread's own ticks by thread id. Empty for a window. */
    private final Map<String, Reading> threads;
    /** A window: the ticks spent, by group. Empty for a reading. */
    private final Map<String, Long> spent;
    /** A window: the context switches, by group. Empty for a reading. */
    private final Map<String, Long> switched;

    private ThreadCpu(Map<String, Reading> threads, Map<String, Long> spent, Map<String, Long> switched) {
        this.threads = threads;
        this.spent = spent;
        this.switched = switched;
    }

    /** Threads by their own (cut) names. */
    static ThreadCpu now() {
        return now(Function.identity());
    }

    /** Threads to be summed by {@code group}, e.g. their names with the numbers taken out. */
    static ThreadCpu now(Function<String, String> group) {
        Map<String, Reading> byId = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long switches = 0;
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.contains("ctxt_switches:")) { // voluntary_ and nonvoluntary_
                            switches += Long.parseLong(
                                    line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                    byId.put(
                            task.getFileName().toString(),
                            new Reading(group.apply(name), Long.parseLong(f[11]) + Long.parseLong(f[12]), switches));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while being read
                }
            }
        } catch (IOException e) {
            return none();
        }
        return new ThreadCpu(byId, Map.of(), Map.of());
    }

    /** A thread name with its numbers replaced by {@code #}, so a pool's threads sum to one line. */
    static String pool(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /** Nothing yet: the start of a sum of windows. */
    static ThreadCpu none() {
        return new ThreadCpu(Map.of(), Map.of(), Map.of());
    }

    /** The window from the reading {@code before} to this reading: what each thread spent in it, by group. */
    ThreadCpu since(ThreadCpu before) {
        Map<String, Long> window = new HashMap<>();
        Map<String, Long> switches = new HashMap<>();
        threads.forEach((id, now) -> {
            Reading then = before.threads.get(id);
            boolean same = then != null
                    && then.group().equals(now.group())
                    && then.ticks() <= now.ticks()
                    && then.switches() <= now.switches();
            window.merge(now.group(), now.ticks() - (same ? then.ticks() : 0), Long::sum);
            switches.merge(now.group(), now.switches() - (same ? then.switches() : 0), Long::sum);
        });
        return new ThreadCpu(Map.of(), window, switches);
    }

    /** The CPU of the threads summed under {@code name} in this window, in ms. */
    double millis(String name) {
        return spent.getOrDefault(name, 0L) * TICK_MS;
    }

    /** The context switches of all threads in this window. */
    long switches() {
        return switched.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Both windows together. */
    ThreadCpu plus(ThreadCpu other) {
        Map<String, Long> sum = new HashMap<>(spent);
        other.spent.forEach((name, t) -> sum.merge(name, t, Long::sum));
        Map<String, Long> switches = new HashMap<>(switched);
        other.switched.forEach((name, n) -> switches.merge(name, n, Long::sum));
        return new ThreadCpu(Map.of(), sum, switches);
    }

    /**
     * Prints this window's {@code top} groups by CPU, each in ms divided by {@code per} (1: the whole window; the
     * number of requests: per request) and as a share of one core over {@code wallMs}.
     */
    void print(int top, double wallMs, double per, String unit) {
        spent.entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .forEach(e -> System.out.printf(
                        Locale.ROOT,
                        "    %8.2f ms%s  %5.2f%% of a core  %7.1f switches  %s%n",
                        e.getValue() * TICK_MS / per,
                        unit,
                        100 * e.getValue() * TICK_MS / wallMs,
                        switched.getOrDefault(e.getKey(), 0L) / per,
                        e.getKey()));
    }
}
