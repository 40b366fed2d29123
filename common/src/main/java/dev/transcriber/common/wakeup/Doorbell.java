package dev.transcriber.common.wakeup;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a task on a thread of its own when rung, and at the latest {@code fallback} after its last run ended: work
 * announced by an event is done at once, and a missed event costs at most the fallback, never the work. Rings
 * coalesce: however many arrive while it waits, the task runs once; one that arrives while the task runs makes it run
 * again right after. One run at a time. {@link #ringWithin} asks for a run no later than a given delay (a retry due
 * then); the earliest request wins.
 *
 * <p>The first run is at {@link #start}. {@link #close} ends the thread: it waits a moment for a run under way, then
 * interrupts it.
 */
public final class Doorbell implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Doorbell.class);

    /** Far enough to mean "no run asked for" while keeping {@code a - b} comparisons of nanoTime exact. */
    private static final long NEVER = Long.MAX_VALUE / 4;

    private static final Duration CLOSE_PATIENCE = Duration.ofSeconds(2);
    private static final Duration INTERRUPTED_PATIENCE = Duration.ofSeconds(10);

    private final String name;
    private final long fallbackNanos;
    private final Runnable task;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;

    /** Guarded by {@link #lock}. */
    private boolean rung;

    private long dueNanos;
    private boolean closed;
    private boolean started;

    /**
     * {@code name} names its thread ({@code wakeup-<name>}) and its log lines; {@code task} should not throw, and what
     * it throws is logged.
     */
    public Doorbell(String name, Duration fallback, Runnable task) {
        if (fallback.isNegative() || fallback.isZero()) {
            throw new IllegalArgumentException(name + ": the fallback interval must be positive, not " + fallback);
        }
        this.name = name;
        this.fallbackNanos = Math.min(fallback.toNanos(), NEVER);
        this.task = task;
        this.dueNanos = System.nanoTime() + NEVER;
        this.thread = Thread.ofPlatform().name("wakeup-" + name).daemon(true).unstarted(this::loop);
    }

    public String name() {
        return name;
    }

    /** Starts the thread; the first run is now. */
    public void start() {
        lock.lock();
        try {
            if (started || closed) {
                return;
            }
            started = true;
            rung = true;
        } finally {
            lock.unlock();
        }
        thread.start();
    }

    /** The task runs as soon as it can (at once, or right after the run under way). */
    public void ring() {
        lock.lock();
        try {
            rung = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The task runs no later than {@code delay} from now (or earlier, if rung or already due earlier). */
    public void ringWithin(Duration delay) {
        long at = System.nanoTime() + Math.max(0, Math.min(delay.toNanos(), NEVER));
        lock.lock();
        try {
            if (at - dueNanos < 0) {
                dueNanos = at;
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (true) {
            lock.lock();
            try {
                while (!closed && !rung) {
                    long wait = dueNanos - System.nanoTime();
                    if (wait <= 0) {
                        break;
                    }
                    try {
                        changed.awaitNanos(wait);
                    } catch (InterruptedException e) {
                        // only close interrupts; the loop checks it
                    }
                }
                if (closed) {
                    return;
                }
                rung = false;
                dueNanos = System.nanoTime() + NEVER; // a ringWithin during the run is kept
            } finally {
                lock.unlock();
            }
            try {
                task.run();
            } catch (Throwable e) {
                log.error("{}: run failed; the next runs when rung, or within the fallback interval", name, e);
            }
            Thread.interrupted(); // an interrupt meant for the run ends with it
            ringWithin(Duration.ofNanos(fallbackNanos));
        }
    }

    /** Ends the thread: a run under way gets a moment to finish, then is interrupted. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
        if (!thread.isAlive()) {
            return;
        }
        try {
            thread.join(CLOSE_PATIENCE);
            if (thread.isAlive()) {
                thread.interrupt();
                if (!thread.join(INTERRUPTED_PATIENCE)) {
                    log.warn("{}: its run did not end within {} of being interrupted", name, INTERRUPTED_PATIENCE);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the thread is alive (started and not yet ended by {@link #close}). */
    public boolean isAlive() {
        return thread.isAlive();
    }

    @Override
    public String toString() {
        return "Doorbell[" + name + ", fallback " + TimeUnit.NANOSECONDS.toMillis(fallbackNanos) + " ms]";
    }
}
