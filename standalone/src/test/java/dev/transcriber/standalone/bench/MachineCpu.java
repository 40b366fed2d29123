package dev.transcriber.standalone.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * CPU time the whole machine spent (every process: the JVM with the services and the load generator, and the
 * PostgreSQL processes), read from {@code /proc/stat}: what a measured stretch of work cost, whatever ran it.
 */
final class MachineCpu {

    private static final Path STAT = Path.of("/proc/stat");
    private static final double TICK_MS = 10.0; // USER_HZ is 100 on Linux

    private final long busyTicksAtStart;
    private final long jvmCpuNanosAtStart;
    private final long startNanos;

    private MachineCpu(long busyTicks) {
        this.busyTicksAtStart = busyTicks;
        this.jvmCpuNanosAtStart = jvmCpuNanos();
        this.startNanos = System.nanoTime();
    }

    /** CPU milliseconds this JVM (services, embedded Kafka and S3 server, load generator) spent since the start. */
    double jvmMillis() {
        return (jvmCpuNanos() - jvmCpuNanosAtStart) / 1e6;
    }

    private static long jvmCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static MachineCpu start() {
        return new MachineCpu(busyTicks());
    }

    /** CPU milliseconds spent since {@link #start()}, on all cores together. */
    double busyMillis() {
        return (busyTicks() - busyTicksAtStart) * TICK_MS;
    }

    /** The share of all cores that was busy since {@link #start()}. */
    double utilisation() {
        double wallMs = (System.nanoTime() - startNanos) / 1e6;
        return busyMillis() / (wallMs * Runtime.getRuntime().availableProcessors());
    }

    /** Cores busy on average since {@link #start()}: 1.0 is one core all the time. */
    double coresBusy() {
        return busyMillis() / wallMillis();
    }

    /** Wall-clock milliseconds since {@link #start()}. */
    double wallMillis() {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    /** user + nice + system + irq + softirq + steal of the first line; idle and iowait are not busy. */
    private static long busyTicks() {
        try {
            String[] fields = Files.readAllLines(STAT).getFirst().trim().split("\\s+");
            long[] t = Arrays.stream(fields).skip(1).mapToLong(Long::parseLong).toArray();
            return t[0] + t[1] + t[2] + t[5] + t[6] + t[7];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
