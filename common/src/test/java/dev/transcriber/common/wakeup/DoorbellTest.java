package dev.transcriber.common.wakeup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DoorbellTest {

    private static final Duration LONG = Duration.ofMinutes(10);

    private final List<Doorbell> doorbells = new ArrayList<>();

    @AfterEach
    void closeAll() {
        doorbells.forEach(Doorbell::close);
    }

    private Doorbell doorbell(Duration fallback, Runnable task) {
        Doorbell doorbell = new Doorbell("test", fallback, task);
        doorbells.add(doorbell);
        return doorbell;
    }

    @Test
    void runsOnceAtStartThenOnlyWhenRung() {
        AtomicInteger runs = new AtomicInteger();
        Doorbell doorbell = doorbell(LONG, runs::incrementAndGet);

        doorbell.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 1);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> runs.get() == 1);

        doorbell.ring();
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 2);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> runs.get() == 2);
    }

    @Test
    void ringsDuringARunCoalesceIntoOneMoreRunRightAfterIt() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch inSecondRun = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Doorbell doorbell = doorbell(LONG, () -> {
            if (runs.incrementAndGet() == 2) {
                inSecondRun.countDown();
                awaitQuietly(release);
            }
        });
        doorbell.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 1);

        doorbell.ring();
        assertThat(inSecondRun.await(5, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 50; i++) {
            doorbell.ring();
        }
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 3);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> runs.get() == 3);
    }

    @Test
    void oneRunAtATimeHoweverManyThreadsRing() throws Exception {
        AtomicInteger inRun = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        Doorbell doorbell = doorbell(LONG, () -> {
            mostAtOnce.accumulateAndGet(inRun.incrementAndGet(), Math::max);
            Thread.onSpinWait();
            runs.incrementAndGet();
            inRun.decrementAndGet();
        });
        doorbell.start();
        List<Thread> ringers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            ringers.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 2_000; i++) {
                    doorbell.ring();
                }
            }));
        }
        for (Thread ringer : ringers) {
            ringer.join();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> inRun.get() == 0);

        assertThat(mostAtOnce.get()).isEqualTo(1);
        assertThat(runs.get()).as("16,000 rings coalesce").isLessThan(16_000);
    }

    @Test
    void runsAtTheFallbackIntervalWhenNobodyRings() {
        AtomicInteger runs = new AtomicInteger();
        doorbell(Duration.ofMillis(100), runs::incrementAndGet).start();

        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 4);
    }

    @Test
    void ringWithinRunsNoLaterThanAskedAndTheEarliestRequestWins() {
        AtomicInteger runs = new AtomicInteger();
        Doorbell doorbell = doorbell(LONG, runs::incrementAndGet);
        doorbell.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 1);

        long asked = System.nanoTime();
        doorbell.ringWithin(Duration.ofMillis(300));
        doorbell.ringWithin(Duration.ofMinutes(5)); // later: does not put the first off
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 2);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> runs.get() == 2);
    }

    @Test
    void aRunThatThrowsDoesNotStopTheDoorbell() {
        AtomicInteger runs = new AtomicInteger();
        Doorbell doorbell = doorbell(LONG, () -> {
            runs.incrementAndGet();
            throw new IllegalStateException("the database is down");
        });
        doorbell.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 1);

        doorbell.ring();
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 2);
    }

    @Test
    void closeEndsTheThreadAndInterruptsARunThatDoesNotEnd() {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        Doorbell idle = doorbell(LONG, () -> {});
        Doorbell stuck = doorbell(LONG, () -> {
            running.countDown();
            try {
                never.await();
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });
        idle.start();
        stuck.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> idle.isAlive() && running.getCount() == 0);

        idle.close();
        stuck.close();

        assertThat(idle.isAlive()).isFalse();
        assertThat(stuck.isAlive()).isFalse();
        assertThat(interrupted.get()).isEqualTo(1);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
