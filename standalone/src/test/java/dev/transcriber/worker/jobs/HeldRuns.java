package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A worker's runs of the jobs it claimed, for tests of what happens around a run (slots, leases) rather than in it: a
 * run records that it started, then lasts until the test ends it. Nothing of the job changes meanwhile; the job stays
 * running under its claim, as it does while a real run waits for the upstream.
 */
final class HeldRuns extends JobExecution {

    private final List<JobId> started = new CopyOnWriteArrayList<>();
    private final Map<JobId, CountDownLatch> ends = new ConcurrentHashMap<>();
    private volatile boolean over;

    HeldRuns() {
        super(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    @Override
    dev.transcriber.worker.audio.EarlyOpen openEarly(
            dev.transcriber.common.events.Lane lane, JobId id, byte[] carried) {
        return dev.transcriber.worker.audio.EarlyOpen.NONE; // no store: these runs read no audio
    }

    @Override
    void run(RunningJob job, dev.transcriber.worker.audio.EarlyOpen early) {
        started.add(job.id());
        if (over) {
            return;
        }
        try {
            if (!latch(job.id()).await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never ended the run of " + job.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The jobs whose run started, in the order they did. */
    List<JobId> started() {
        return List.copyOf(started);
    }

    /** Ends the run of {@code id} (at once, or as soon as it starts). */
    void end(JobId... ids) {
        for (JobId id : ids) {
            latch(id).countDown();
        }
    }

    /** Ends every run: those started so far at once, those starting later as they start. */
    void endAll() {
        over = true;
        started.forEach(id -> latch(id).countDown());
    }

    private CountDownLatch latch(JobId id) {
        return ends.computeIfAbsent(id, i -> new CountDownLatch(1));
    }
}
