package dev.transcriber.worker.accounts;

import dev.transcriber.common.events.Lane;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream accounts and what is known about each right now: calls in flight, cooling down after a 429 until
 * when, disabled after a 401/403 and why, its circuit (opened by server errors, timeouts and resets), its figures.
 * {@link #acquire} picks, among the accounts that serve the model and are usable, the one with the most spare
 * capacity (fewest calls in flight relative to its limit and weight); when every such account is at its limit it
 * waits for a call to end, or for the next slot of its own requests-per-minute.
 *
 * <p>Lanes come first in order: a free slot goes to a waiting interactive call before any async or bulk one, and the
 * lower lanes never take the last slots of an account (their reserve), so a caller holding a connection finds room
 * even while a backlog of bulk pieces keeps every account busy.
 */
public class AccountPool {

    private static final Logger log = LoggerFactory.getLogger(AccountPool.class);

    /** The longest a paced wait sleeps before it reads the clock again (a clock step, or a test's clock). */
    private static final Duration PACE_CHECK = Duration.ofSeconds(1);

    private final List<State> states;
    private final Clock clock;
    private final Duration capacityWait;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final int[] waiting = new int[Lane.values().length];
    private final Map<Lane, Double> reserves;
    private long turn;

    public AccountPool(List<UpstreamAccount> accounts, Clock clock, Duration capacityWait) {
        this(accounts, clock, capacityWait, Map.of(Lane.ASYNC, 0.1, Lane.BULK, 0.25));
    }

    /** {@code reserves}: the share of each account's slots a lane leaves to the lanes above it. */
    public AccountPool(List<UpstreamAccount> accounts, Clock clock, Duration capacityWait, Map<Lane, Double> reserves) {
        this(
                accounts,
                clock,
                capacityWait,
                reserves,
                CircuitBreakerConfig.custom()
                        .failureRateThreshold(50)
                        .slidingWindowSize(20)
                        .minimumNumberOfCalls(10)
                        .waitDurationInOpenState(Duration.ofSeconds(30))
                        .automaticTransitionFromOpenToHalfOpenEnabled(true)
                        .build());
    }

    /** {@code breaker}: when an account's circuit opens (server errors, timeouts, resets) and for how long. */
    public AccountPool(
            List<UpstreamAccount> accounts, Clock clock, Duration capacityWait, CircuitBreakerConfig breaker) {
        this(accounts, clock, capacityWait, Map.of(Lane.ASYNC, 0.1, Lane.BULK, 0.25), breaker);
    }

    private AccountPool(
            List<UpstreamAccount> accounts,
            Clock clock,
            Duration capacityWait,
            Map<Lane, Double> reserves,
            CircuitBreakerConfig breaker) {
        this.reserves = Map.copyOf(reserves);
        this.states = accounts.stream()
                .map(a -> new State(a, CircuitBreaker.of("upstream-" + a.id(), breaker)))
                .toList();
        this.clock = clock;
        this.capacityWait = capacityWait;
        if (states.isEmpty()) {
            log.warn("no upstream account configured (set OPENAI_API_KEY or transcriber.accounts):"
                    + " transcriptions will fail with no_accounts");
        } else {
            log.info("upstream accounts: {}", accounts);
        }
    }

    /**
     * The accounts of the configuration: the list, then one per key of the OPENAI_API_KEY shortcut; with neither,
     * the local engine when {@code transcriber.local-engine.when-no-accounts} is set.
     */
    static List<UpstreamAccount> fromConfiguration(AccountsProperties properties) {
        List<UpstreamAccount> accounts = new ArrayList<>();
        for (AccountsProperties.Account a : properties.accounts()) {
            accounts.add(new UpstreamAccount(
                    a.id(),
                    a.kind(),
                    a.baseUrl(),
                    a.apiKey(),
                    a.models(),
                    a.weight(),
                    a.maxConcurrency(),
                    a.requestsPerMinute(),
                    a.apiVersion()));
        }
        List<String> keys = Arrays.stream(properties.openai().apiKey().split(","))
                .map(String::trim)
                .filter(k -> !k.isEmpty())
                .toList();
        IntStream.range(0, keys.size())
                .mapToObj(i -> UpstreamAccount.simple(
                        "openai-" + (i + 1), properties.openai().baseUrl(), keys.get(i)))
                .forEach(accounts::add);
        if (accounts.isEmpty() && properties.localEngine().whenNoAccounts()) {
            log.info("no upstream account configured: the catalog's models are served by the local offline engine");
            accounts.add(UpstreamAccount.local(properties.localEngine().maxConcurrency()));
        }
        return accounts;
    }

    /**
     * A call slot on the best account for {@code model}. Throws {@link NoAccountsException} when no usable account
     * serves the model, and {@link AllAccountsCoolingException} when every one that does is cooling down after a 429
     * (or at its own requests-per-minute beyond the capacity wait).
     */
    public Lease acquire(String model) {
        return acquire(model, Lane.INTERACTIVE, capacityWait);
    }

    /**
     * As {@link #acquire(String)}, for a call of {@code lane}, waiting at most {@code maxWait} (and the pool's
     * capacity wait) for a free slot. An account held back only by its own {@code requests-per-minute} is waited for
     * when its next slot comes within that time: a limit of our own is a pace, not a failure. Only a cooldown the
     * upstream imposed (a 429), or a pace slot beyond the wait, throws {@link AllAccountsCoolingException}. The wait is
     * a timed wait on the pool's condition, so a virtual thread waiting here does not hold its carrier.
     */
    public Lease acquire(String model, Lane lane, Duration maxWait) {
        long waitUntil = System.nanoTime() + Math.max(0, Math.min(capacityWait.toNanos(), maxWait.toNanos()));
        lock.lock();
        try {
            while (true) {
                Instant now = clock.instant();
                long waitNanos = waitUntil - System.nanoTime();
                List<State> serving = states.stream()
                        .filter(s -> s.account.serves(model) && s.disabledReason == null)
                        .toList();
                List<State> usable =
                        serving.stream().filter(State::circuitAllows).toList();
                if (usable.isEmpty()) {
                    // Every account that serves the model has its circuit open; a circuit half-opens by itself after
                    // its wait. An async or bulk call, with its job's deadline to spare, waits for that instead of
                    // failing its job; a caller holding a connection is told at once.
                    if (serving.isEmpty() || lane == Lane.INTERACTIVE || waitNanos <= 0) {
                        throw new NoAccountsException();
                    }
                    released.awaitNanos(Math.min(PACE_CHECK.toNanos(), waitNanos));
                    continue;
                }
                List<State> ready = usable.stream()
                        .filter(s -> !s.readyAt(now).isAfter(now))
                        .toList();
                // the next slot of an account held back only by its own requests-per-minute (or, for an async or bulk
                // call, with its job's deadline to spare, by an upstream's cooldown too): nothing signals it
                Instant paced = usable.stream()
                        .filter(s -> lane != Lane.INTERACTIVE || !s.coolingAt(now))
                        .map(s -> s.readyAt(now))
                        .filter(at -> at.isAfter(now))
                        .min(Comparator.naturalOrder())
                        .orElse(null);
                if (ready.isEmpty()
                        && (paced == null || Duration.between(now, paced).toNanos() > waitNanos)) {
                    throw new AllAccountsCoolingException(usable.stream()
                            .map(s -> s.readyAt(now))
                            .min(Comparator.naturalOrder())
                            .orElseThrow());
                }
                List<State> free = ready.stream()
                        .filter(s -> s.inFlight < s.account.maxConcurrency() - reserve(lane, s))
                        .toList();
                if (!free.isEmpty() && !outranked(lane)) {
                    State chosen = pick(free);
                    chosen.inFlight++;
                    chosen.recent.addLast(now);
                    return new Lease(chosen);
                }
                if (waitNanos <= 0) {
                    throw new NoAccountsException("Every upstream account is at its concurrency limit");
                }
                long pause = paced == null
                        ? waitNanos
                        : Math.clamp(Duration.between(now, paced).toNanos(), 1, PACE_CHECK.toNanos());
                waiting[lane.ordinal()]++;
                try {
                    released.awaitNanos(Math.min(pause, waitNanos));
                } finally {
                    waiting[lane.ordinal()]--;
                }
                if (waiting[lane.ordinal()] == 0) {
                    released.signalAll(); // lower lanes may have been holding back for this one
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NoAccountsException();
        } finally {
            lock.unlock();
        }
    }

    /** Calls of {@code lane} waiting for a slot now. */
    public int waiting(Lane lane) {
        lock.lock();
        try {
            return waiting[lane.ordinal()];
        } finally {
            lock.unlock();
        }
    }

    /** Slots of {@code s} that {@code lane} leaves free for the lanes above it (never all of them). */
    private int reserve(Lane lane, State s) {
        double share = reserves.getOrDefault(lane, 0.0);
        return Math.min(s.account.maxConcurrency() - 1, (int) Math.ceil(s.account.maxConcurrency() * share));
    }

    /** True while a call of a more urgent lane is waiting for a slot. */
    private boolean outranked(Lane lane) {
        for (int i = 0; i < lane.ordinal(); i++) {
            if (waiting[i] > 0) {
                return true;
            }
        }
        return false;
    }

    /** Least in flight relative to limit and weight; ties go round the accounts in turn. */
    private State pick(List<State> free) {
        long start = turn++;
        State best = null;
        double bestLoad = Double.MAX_VALUE;
        for (int i = 0; i < free.size(); i++) {
            State s = free.get((int) ((start + i) % free.size()));
            double load = (s.inFlight + 1) / (s.account.maxConcurrency() * s.account.weight());
            if (load < bestLoad) {
                best = s;
                bestLoad = load;
            }
        }
        return best;
    }

    /** The account answered 429: no calls to it until {@code until}. */
    public void coolDown(UpstreamAccount account, Instant until) {
        withState(account, s -> {
            if (s.coolingUntil == null || s.coolingUntil.isBefore(until)) {
                s.coolingUntil = until;
            }
            log.warn("upstream {} rate-limited; cooling down until {}", account.id(), until);
        });
    }

    /** The account's credentials were refused: no calls to it until an operator re-enables it. */
    public void disable(UpstreamAccount account, String reason) {
        withState(account, s -> {
            s.disabledReason = reason;
            log.error("upstream {} disabled: {}", account.id(), reason);
        });
    }

    public List<UpstreamAccount> accounts() {
        return states.stream().map(s -> s.account).toList();
    }

    public List<AccountStatus> status() {
        lock.lock();
        try {
            Instant now = clock.instant();
            return states.stream().map(s -> s.status(now)).toList();
        } finally {
            lock.unlock();
        }
    }

    /** One account's status (for metrics, read one gauge at a time). */
    public AccountStatus status(String accountId) {
        lock.lock();
        try {
            Instant now = clock.instant();
            return states.stream()
                    .filter(s -> s.account.id().equals(accountId))
                    .findFirst()
                    .orElseThrow()
                    .status(now);
        } finally {
            lock.unlock();
        }
    }

    private void withState(UpstreamAccount account, Consumer<State> change) {
        lock.lock();
        try {
            states.stream().filter(s -> s.account.equals(account)).forEach(change);
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** How one call on {@code account} ended ({@code success}, or the kind of failure) and how long it took. */
    public void record(UpstreamAccount account, String outcome, Duration latency) {
        withState(account, s -> s.record(outcome, latency));
    }

    /** An operator re-enables an account that was disabled, and ends its cooldown. */
    public boolean enable(String accountId) {
        lock.lock();
        try {
            boolean found = false;
            for (State s : states) {
                if (s.account.id().equals(accountId)) {
                    s.disabledReason = null;
                    s.coolingUntil = null;
                    s.breaker.reset();
                    found = true;
                    log.info("upstream {} re-enabled", accountId);
                }
            }
            released.signalAll();
            return found;
        } finally {
            lock.unlock();
        }
    }

    /** An account's state and figures as operators and tests see them. */
    public record AccountStatus(
            String id,
            String state,
            Instant coolingUntil,
            String disabledReason,
            int inFlight,
            long successes,
            Map<String, Long> failures,
            Double latencyP50Ms,
            Double latencyP95Ms,
            String circuit) {}

    /** One call slot; closing it frees the slot. */
    public final class Lease implements AutoCloseable {

        private final State state;
        private boolean closed;

        private Lease(State state) {
            this.state = state;
        }

        public UpstreamAccount account() {
            return state.account;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!closed) {
                    closed = true;
                    state.inFlight--;
                    released.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private static final class State {
        private static final int LATENCY_SAMPLES = 1024;
        /** Failures that say the account itself is unwell; 4xx, 429 and refused keys have their own handling. */
        private static final Set<String> BREAKING = Set.of("server_error", "timeout", "connection", "bad_response");

        private final UpstreamAccount account;
        private final Deque<Instant> recent = new ArrayDeque<>();
        private final long[] latenciesMicros = new long[LATENCY_SAMPLES];
        private final Map<String, Long> failures = new TreeMap<>();
        private long calls;
        private long successes;
        private int inFlight;
        private Instant coolingUntil;
        private String disabledReason;

        private final CircuitBreaker breaker;

        State(UpstreamAccount account, CircuitBreaker breaker) {
            this.account = account;
            this.breaker = breaker;
        }

        AccountStatus status(Instant now) {
            return new AccountStatus(
                    account.id(),
                    disabledReason != null
                            ? "disabled"
                            : !circuitAllows() ? "circuit_open" : readyAt(now).isAfter(now) ? "cooling" : "active",
                    coolingUntil != null && coolingUntil.isAfter(now) ? coolingUntil : null,
                    disabledReason,
                    inFlight,
                    successes,
                    Map.copyOf(failures),
                    latencyMillis(0.5),
                    latencyMillis(0.95),
                    breaker.getState().name().toLowerCase());
        }

        boolean circuitAllows() {
            CircuitBreaker.State state = breaker.getState();
            return state != CircuitBreaker.State.OPEN && state != CircuitBreaker.State.FORCED_OPEN;
        }

        void record(String outcome, Duration latency) {
            latenciesMicros[(int) (calls++ % LATENCY_SAMPLES)] = latency.toNanos() / 1000;
            if ("success".equals(outcome)) {
                successes++;
                breaker.onSuccess(latency.toNanos(), TimeUnit.NANOSECONDS);
            } else {
                failures.merge(outcome, 1L, Long::sum);
                if (BREAKING.contains(outcome)) {
                    breaker.onError(latency.toNanos(), TimeUnit.NANOSECONDS, new IllegalStateException(outcome));
                }
            }
        }

        Double latencyMillis(double quantile) {
            int n = (int) Math.min(calls, LATENCY_SAMPLES);
            if (n == 0) {
                return null;
            }
            long[] sorted = Arrays.copyOf(latenciesMicros, n);
            Arrays.sort(sorted);
            return sorted[Math.min(n - 1, (int) Math.ceil(quantile * n) - 1)] / 1000.0;
        }

        /** True while a cooldown the upstream imposed (a 429) is in force. */
        boolean coolingAt(Instant now) {
            return coolingUntil != null && coolingUntil.isAfter(now);
        }

        /** When the account may take a call: after its cooldown, and once under its own requests-per-minute. */
        Instant readyAt(Instant now) {
            Instant ready = coolingUntil != null && coolingUntil.isAfter(now) ? coolingUntil : now;
            int limit = account.requestsPerMinute();
            if (limit > 0) {
                Instant windowStart = now.minus(Duration.ofMinutes(1));
                while (!recent.isEmpty() && !recent.peekFirst().isAfter(windowStart)) {
                    recent.pollFirst();
                }
                if (recent.size() >= limit) {
                    Instant freeAt = recent.peekFirst().plus(Duration.ofMinutes(1));
                    ready = freeAt.isAfter(ready) ? freeAt : ready;
                }
            } else {
                recent.clear();
            }
            return ready;
        }
    }
}
