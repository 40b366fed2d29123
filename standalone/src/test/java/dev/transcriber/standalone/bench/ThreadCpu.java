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
 * CPU time of every native thread of this JVM ({@code /proc/self/task}: utime + stime; GC, JIT and VM threads
 * included), summed by a name chosen by the caller. The kernel cuts thread names to 15 characters. A thread that ends
 * inside a window takes its time with it.
 */
final class ThreadCpu {

    private static final double TICK_MS = 10.0; // USER_HZ is 100 on Linux

    private final Map<String, Long> ticks;

    private ThreadCpu(Map<String, Long> ticks) {
        this.ticks = ticks;
    }

    /** Threads by their own (cut) names. */
    static ThreadCpu now() {
        return now(Function.identity());
    }

    /** Threads summed by {@code group}, e.g. their names with the numbers taken out. */
    static ThreadCpu now(Function<String, String> group) {
        Map<String, Long> byName = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    byName.merge(group.apply(name), Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while being read
                }
            }
        } catch (IOException e) {
            return new ThreadCpu(Map.of());
        }
        return new ThreadCpu(byName);
    }

    /** A thread name with its numbers replaced by {@code #}, so a pool's threads sum to one line. */
    static String pool(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /** Nothing yet: the start of a sum of windows. */
    static ThreadCpu none() {
        return new ThreadCpu(Map.of());
    }

    /** The CPU each thread spent between {@code before} and this reading. */
    ThreadCpu since(ThreadCpu before) {
        Map<String, Long> spent = new HashMap<>();
        ticks.forEach((name, t) -> spent.put(name, t - before.ticks.getOrDefault(name, 0L)));
        return new ThreadCpu(spent);
    }

    /** The CPU of the threads summed under {@code name}, in ms. */
    double millis(String name) {
        return ticks.getOrDefault(name, 0L) * TICK_MS;
    }

    /** Both windows' CPU together. */
    ThreadCpu plus(ThreadCpu other) {
        Map<String, Long> sum = new HashMap<>(ticks);
        other.ticks.forEach((name, t) -> sum.merge(name, t, Long::sum));
        return new ThreadCpu(sum);
    }

    /**
     * Prints the {@code top} threads by CPU, each in ms divided by {@code per} (1: the whole window; the number of
     * requests: per request) and as a share of one core over {@code wallMs}.
     */
    void print(int top, double wallMs, double per, String unit) {
        ticks.entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .forEach(e -> System.out.printf(
                        Locale.ROOT,
                        "    %8.2f ms%s  %5.2f%% of a core  %s%n",
                        e.getValue() * TICK_MS / per,
                        unit,
                        100 * e.getValue() * TICK_MS / wallMs,
                        e.getKey()));
    }
}
