package dev.transcriber.standalone.bench;

import java.util.Locale;

/**
 * Warms the JVM up until its JIT has settled, so what is measured after is the steady state a long-running server
 * is in, not the compilers' work of its first minutes: blocks of warm-up work run until the compiler threads' CPU over
 * the last block is under {@code bench.jitSettled} (10) percent of one core, after at least {@code bench.warmUp} and at
 * most {@code bench.warmUpMax} pieces of work. With the 2,000 requests alone, the compilers still took a third of a
 * core through the one-at-a-time rounds that followed (15 ms of CPU per request, measured).
 */
final class WarmUp {

    interface Block {
        void run(int pieces) throws Exception;
    }

    private WarmUp() {}

    /** Runs {@code block} {@code size} pieces at a time until the JIT has settled; prints what it took. */
    static void untilJitSettles(String what, int size, Block block) throws Exception {
        int min = Integer.getInteger("bench.warmUp", 2000);
        int max = Math.max(min, Integer.getInteger("bench.warmUpMax", 30_000));
        double settled = Double.parseDouble(System.getProperty("bench.jitSettled", "10"));
        long started = System.nanoTime();
        int done = 0;
        double first = Double.NaN;
        double last = Double.NaN;
        while (done < max) {
            ThreadCpu before = ThreadCpu.now(WarmUp::compilerOrNot);
            long blockStart = System.nanoTime();
            int pieces = Math.min(size, max - done);
            block.run(pieces);
            done += pieces;
            last = 100
                    * ThreadCpu.now(WarmUp::compilerOrNot).since(before).millis("compiler")
                    / ((System.nanoTime() - blockStart) / 1e6);
            if (Double.isNaN(first)) {
                first = last;
            }
            if (done >= min && last < settled) {
                break;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "warm-up (%s): %,d in %.0f s; the JIT's compiler threads took %.1f%% of a core over the first %,d and"
                        + " %.1f%% over the last (settled below %.0f%%%s)%n",
                what,
                done,
                (System.nanoTime() - started) / 1e9,
                first,
                Math.min(size, done),
                last,
                settled,
                last < settled ? "" : ": not reached, stopped at bench.warmUpMax");
    }

    private static String compilerOrNot(String thread) {
        return thread.startsWith("C1 Compiler") || thread.startsWith("C2 Compiler") ? "compiler" : "other";
    }
}
