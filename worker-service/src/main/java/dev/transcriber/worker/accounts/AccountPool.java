package dev.transcriber.worker.accounts;

import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.StoredText;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream accounts and what is known about each right now: calls in flight, cooling down after a 429 until
 * when, disabled after a 401 (for that key) and why, its circuit (opened by server errors, timeouts and resets), its figures.
 * {@link #acquire} picks, among the accounts that serve the model and are usable, the one with the most spare
 * capacity (fewest calls in flight relative to its limit and weight); when every such account is at its limit it
 * waits for a call to end, or for the next slot of its own requests-per-minute.
 *
 * <p>Lanes come first in order: a free slot goes to a waiting interactive call before any async or bulk one, and the
 * lower lanes never take the last slots of an account (their reserve), so a caller holding a connection finds room
 * even while a backlog of bulk pieces keeps every account busy.
 *
 * <p>The limits and the state are the fleet's, kept by an {@link AccountLedger}: a call runs on one of the account's
 * call slots, which this worker holds from the ledger. A slot it has used stays with it for a short while (the next
 * call takes it without a round trip) and goes back at once when another worker waits for one. What the upstream said
 * of an account (a 429's cooldown, a refused key, an open circuit) is written through to the ledger at once and read
 * back from it by {@link #sync}, which also renews the slots held, gives back the idle ones and reports the calls.
 */
public class AccountPool {

    private static final Logger log = LoggerFactory.getLogger(AccountPool.class);

    /** The longest a paced wait sleeps before it reads the clock again (a clock step, or a test's clock). */
    private static final Duration PACE_CHECK = Duration.ofSeconds(1);

    private final List<State> states;
    private final Clock clock;
    private final Duration capacityWait;
    private final String holder;
    private final SharingProperties sharing;
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * Held (shared) by each claim of a slot from the ledger until the slot is this worker's, and (exclusively) by a
     * renewal from its look at the slots this worker holds to the ledger's answer: the ledger gives back every slot
     * of this worker the renewal does not name, so a claim committed in between would be given back while it is used.
     */
    private final java.util.concurrent.locks.ReadWriteLock claims =
            new java.util.concurrent.locks.ReentrantReadWriteLock();

    private final Condition released = lock.newCondition();
    private final int[] waiting = new int[Lane.values().length];
    private final Map<Lane, Double> reserves;
    private long turn;
    private long lastRenewNanos = System.nanoTime();
    private long lastLedgerWarningNanos;
    private volatile boolean fleetChanged = true;
    private volatile long lastSyncNanos = System.nanoTime();
    private volatile Runnable onAcquire = () -> {};
    private final AtomicInteger acquiring = new AtomicInteger();

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
                defaultBreaker(),
                new ProcessLedger(clock),
                "this-process",
                SharingProperties.defaults());
    }

    /** {@code breaker}: when an account's circuit opens (server errors, timeouts, resets) and for how long. */
    public AccountPool(
            List<UpstreamAccount> accounts, Clock clock, Duration capacityWait, CircuitBreakerConfig breaker) {
        this(
                accounts,
                clock,
                capacityWait,
                Map.of(Lane.ASYNC, 0.1, Lane.BULK, 0.25),
                breaker,
                new ProcessLedger(clock),
                "this-process",
                SharingProperties.defaults());
    }

    /**
     * A pool whose accounts are shared through {@code fleet} by every worker, this one known there as {@code holder}.
     * The offline engine's account stays this process's own.
     */
    public AccountPool(
            List<UpstreamAccount> accounts,
            Clock clock,
            Duration capacityWait,
            AccountLedger fleet,
            String holder,
            SharingProperties sharing) {
        this(
                accounts,
                clock,
                capacityWait,
                Map.of(Lane.ASYNC, 0.1, Lane.BULK, 0.25),
                defaultBreaker(),
                fleet,
                holder,
                sharing);
    }

    private AccountPool(
            List<UpstreamAccount> accounts,
            Clock clock,
            Duration capacityWait,
            Map<Lane, Double> reserves,
            CircuitBreakerConfig breaker,
            AccountLedger fleet,
            String holder,
            SharingProperties sharing) {
        this.reserves = Map.copyOf(reserves);
        AccountLedger own = new ProcessLedger(clock);
        this.states = accounts.stream()
                .map(a -> new State(
                        a,
                        CircuitBreaker.of("upstream-" + a.id(), breaker),
                        a.kind() == AccountsProperties.ProviderKind.LOCAL ? own : fleet))
                .toList();
        this.clock = clock;
        this.capacityWait = capacityWait;
        this.holder = holder;
        this.sharing = sharing;
        if (states.isEmpty()) {
            log.warn("no upstream account configured (set OPENAI_API_KEY or transcriber.accounts):"
                    + " transcriptions will fail with no_accounts");
        } else {
            log.info("upstream accounts: {}", accounts);
        }
    }

    private static CircuitBreakerConfig defaultBreaker() {
        return CircuitBreakerConfig.custom()
                .failureRateThreshold(50)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build();
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
        return acquire(model, lane, maxWait, false);
    }

    /**
     * As {@link #acquire(String, Lane, Duration)}; a {@code translation} skips the offline engine's accounts when an
     * HTTP account serves the model (the engine cannot translate; with nothing else it is taken, and refuses).
     */
    public Lease acquire(String model, Lane lane, Duration maxWait, boolean translation) {
        return acquire(model, lane, maxWait, translation, Set.of());
    }

    /**
     * As {@link #acquire(String, Lane, Duration, boolean)}, on none of the accounts {@code excluded} names (those
     * that refused this call already); when they are all that serve the model, {@link
     * NoAccountsException.EveryOneRefused}.
     */
    public Lease acquire(String model, Lane lane, Duration maxWait, boolean translation, Set<String> excluded) {
        acquiring.incrementAndGet(); // not quiet from here, before the hook: a sync that looks after this sees it
        try {
            onAcquire.run();
            return acquireSlot(model, lane, maxWait, translation, excluded);
        } finally {
            acquiring.decrementAndGet();
        }
    }

    private Lease acquireSlot(String model, Lane lane, Duration maxWait, boolean translation, Set<String> excluded) {
        long waitUntil = System.nanoTime() + Math.max(0, Math.min(capacityWait.toNanos(), maxWait.toNanos()));
        boolean skipLocal = translation
                && states.stream()
                        .anyMatch(s ->
                                s.account.serves(model) && s.account.kind() != AccountsProperties.ProviderKind.LOCAL);
        states.stream().filter(s -> !s.registered && s.account.serves(model)).forEach(this::register);
        lock.lock();
        try {
            while (true) {
                Instant now = clock.instant();
                long nowNanos = System.nanoTime();
                long waitNanos = waitUntil - nowNanos;
                List<State> enabled = states.stream()
                        .filter(s -> s.account.serves(model) && s.disabledReason == null)
                        .filter(s -> !skipLocal || s.account.kind() != AccountsProperties.ProviderKind.LOCAL)
                        .toList();
                List<State> serving = excluded.isEmpty()
                        ? enabled
                        : enabled.stream()
                                .filter(s -> !excluded.contains(s.account.id()))
                                .toList();
                if (serving.isEmpty() && !enabled.isEmpty()) {
                    throw new NoAccountsException.EveryOneRefused();
                }
                List<State> usable =
                        serving.stream().filter(s -> s.circuitAllows(now)).toList();
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
                if (ready.isEmpty() && (paced == null || nanosUntil(now, paced) > waitNanos)) {
                    throw new AllAccountsCoolingException(usable.stream()
                            .map(s -> s.readyAt(now))
                            .min(Comparator.naturalOrder())
                            .orElseThrow());
                }
                List<State> underLimit = ready.stream()
                        .filter(s -> s.busy.size() < s.account.maxConcurrency() - reserve(lane, s))
                        .toList();
                List<State> free = underLimit.stream()
                        .filter(s -> s.canTake(lane, nowNanos))
                        .toList();
                if (!free.isEmpty() && !outranked(lane)) {
                    State chosen = pick(free);
                    Lease lease = take(chosen, lane, now);
                    if (lease != null) {
                        return lease;
                    }
                    continue;
                }
                if (waitNanos <= 0) {
                    throw new NoAccountsException("Every upstream account is at its concurrency limit");
                }
                long pause = paced == null ? waitNanos : Math.clamp(nanosUntil(now, paced), 1, PACE_CHECK.toNanos());
                // an account whose slots are all held by other workers: ask the ledger again after a while
                long retry = underLimit.stream()
                        .mapToLong(s -> s.claimableAt(lane) - nowNanos)
                        .filter(d -> d > 0)
                        .min()
                        .orElse(Long.MAX_VALUE);
                waiting[lane.ordinal()]++;
                try {
                    released.awaitNanos(Math.min(Math.min(pause, retry), waitNanos));
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

    /**
     * A lease on {@code s}: on an idle slot this worker holds, or on one claimed from the ledger; with a
     * requests-per-minute limit, once the fleet's window has room. Null when the ledger had no slot, or the window no
     * room (the account's state says when to ask again). Called with the lock held; the ledger is asked without it.
     */
    private Lease take(State s, Lane lane, Instant now) {
        Integer slot = s.idle.pollFirst();
        if (slot == null) {
            slot = claim(s, lane);
            if (slot == null) {
                return null;
            }
        }
        s.busy.add(slot);
        if (s.account.requestsPerMinute() > 0) {
            Instant next = callStart(s, now);
            if (next != null) {
                s.busy.remove(slot);
                s.idle.addFirst(slot);
                s.pacedUntil = next;
                released.signalAll();
                return null;
            }
        }
        s.lastUsedNanos = System.nanoTime();
        return new Lease(s, slot);
    }

    private Integer claim(State s, Lane lane) {
        int keepFree = reserve(lane, s);
        boolean wasWaiting = s.waitingInFleet;
        s.claiming++;
        lock.unlock();
        OptionalInt claimed = OptionalInt.empty();
        claims.readLock().lock();
        try {
            claimed = s.ledger.claimSlot(s.account.id(), holder, keepFree);
            if (claimed.isPresent() && wasWaiting) {
                s.ledger.stopWaiting(s.account.id(), holder);
            }
        } catch (RuntimeException e) {
            ledgerFailed("claim a call slot of " + s.account.id(), e);
        } finally {
            lock.lock(); // the slot is this worker's (its caller adds it) before a renewal looks again
            claims.readLock().unlock();
            s.claiming--;
        }
        if (claimed.isEmpty()) {
            s.fleetFullUntil[lane.ordinal()] =
                    System.nanoTime() + sharing.claimRetry().toNanos();
            s.waitingInFleet = true;
            return null;
        }
        s.waitingInFleet = false;
        return claimed.getAsInt();
    }

    /** Null when the call may start now; otherwise when the account's window of the last minute next has room. */
    private Instant callStart(State s, Instant now) {
        lock.unlock();
        try {
            return s.ledger
                    .takeCallStart(s.account.id(), s.account.requestsPerMinute())
                    .orElse(null);
        } catch (RuntimeException e) {
            ledgerFailed("count a call of " + s.account.id(), e);
            return now.plus(sharing.claimRetry());
        } finally {
            lock.lock();
        }
    }

    private void register(State s) {
        try {
            s.ledger.register(s.account);
            s.registered = true;
        } catch (RuntimeException e) {
            ledgerFailed("register " + s.account.id(), e);
        }
    }

    private void ledgerFailed(String what, RuntimeException e) {
        long now = System.nanoTime();
        if (now - lastLedgerWarningNanos > Duration.ofSeconds(10).toNanos()) {
            lastLedgerWarningNanos = now;
            log.warn("could not {} in the account ledger (the slots held stay in use): {}", what, e.toString());
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
            double load = (s.busy.size() + 1) / (s.account.maxConcurrency() * s.account.weight());
            if (load < bestLoad) {
                best = s;
                bestLoad = load;
            }
        }
        return best;
    }

    /** The account answered 429: no calls to it until {@code until}, in the whole fleet. */
    public void coolDown(UpstreamAccount account, Instant until) {
        State s = withState(account, st -> {
            if (st.coolingUntil == null || st.coolingUntil.isBefore(until)) {
                st.coolingUntil = until;
            }
            st.pendingWrites++;
        });
        log.warn("upstream {} rate-limited; cooling down until {}", account.id(), until);
        write(s, "cool down", ledger -> ledger.coolDown(account.id(), until));
    }

    /** Nanoseconds from {@code now} to {@code at}, saturated (a cooldown written far ahead by anyone stays a long wait). */
    private static long nanosUntil(Instant now, Instant at) {
        try {
            return Duration.between(now, at).toNanos();
        } catch (ArithmeticException e) {
            return now.isBefore(at) ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
    }

    /** The account's credentials were refused: no calls to it, in the whole fleet, until an operator re-enables it. */
    public void disable(UpstreamAccount account, String refusal) {
        String reason = StoredText.message(refusal); // the upstream's words: kept fit for the fleet's row
        State s = withState(account, st -> {
            st.disabledReason = reason;
            st.pendingWrites++;
        });
        log.error("upstream {} disabled: {}", account.id(), reason);
        write(s, "disable", ledger -> ledger.disable(account.id(), account.keyFingerprint(), reason));
    }

    private void write(State s, String what, Consumer<AccountLedger> change) {
        if (s == null) {
            return;
        }
        if (!s.registered) {
            register(s);
        }
        try {
            change.accept(s.ledger);
        } catch (RuntimeException e) {
            ledgerFailed(what + " " + s.account.id(), e);
        }
        lock.lock();
        try {
            // A read that began before the write ended does not undo it: while the write is under way the fleet's
            // view may still be the old one (AccountPoolTest).
            s.pendingWrites--;
            s.changedNanos = System.nanoTime();
        } finally {
            lock.unlock();
        }
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

    private State withState(UpstreamAccount account, Consumer<State> change) {
        lock.lock();
        try {
            State found = null;
            for (State s : states) {
                if (s.account.equals(account)) {
                    change.accept(s);
                    s.changedNanos = System.nanoTime();
                    found = s;
                }
            }
            released.signalAll();
            return found;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How one call on {@code account} ended ({@code success}, or the kind of failure) and how long it took. When this
     * opens the account's circuit, the whole fleet keeps off it for the circuit's wait.
     */
    public void record(UpstreamAccount account, String outcome, Duration latency) {
        Instant[] opened = new Instant[1];
        State s = withState(account, st -> {
            opened[0] = st.record(outcome, latency, clock.instant());
            if (opened[0] != null) {
                st.pendingWrites++;
            }
        });
        if (opened[0] != null) {
            log.warn("upstream {} circuit open until {}", account.id(), opened[0]);
            write(s, "open the circuit of", ledger -> ledger.openCircuit(account.id(), opened[0]));
        }
    }

    /** An operator re-enables an account that was disabled, and ends its cooldown and circuit, in the whole fleet. */
    public boolean enable(String accountId) {
        State found = null;
        lock.lock();
        try {
            for (State s : states) {
                if (s.account.id().equals(accountId)) {
                    s.reset();
                    s.changedNanos = System.nanoTime();
                    s.pendingWrites++;
                    found = s;
                    log.info("upstream {} re-enabled", accountId);
                }
            }
            released.signalAll();
        } finally {
            lock.unlock();
        }
        write(found, "re-enable", ledger -> ledger.enable(accountId));
        return found != null;
    }

    /** Another worker changed the fleet's view of an account: the next {@link #syncUnlessQuiet} reads it. */
    public void fleetChanged() {
        fleetChanged = true;
    }

    /**
     * {@link #sync}, unless this worker is quiet (no call in flight or waiting for a slot, no slot held, no call left
     * to report) and was not told that the fleet changed ({@link #fleetChanged}) since its last sync, which was less
     * than {@code quietInterval} ago: a quiet worker has nothing to give back, renew or report, and a cooldown, a
     * refused key or a circuit of another worker reaches it through {@link #fleetChanged}. Run every
     * {@code sync-interval}.
     */
    public void syncUnlessQuiet(Duration quietInterval) {
        if (!fleetChanged && System.nanoTime() - lastSyncNanos < quietInterval.toNanos() && quiet()) {
            return;
        }
        sync();
    }

    /**
     * Runs {@code hook} as each call starts asking for a slot, before it may wait: a quiet worker's {@link AccountSync}
     * learns that it is quiet no longer. Quick, and never blocking.
     */
    void onAcquire(Runnable hook) {
        this.onAcquire = hook;
    }

    /**
     * No call asking for a slot, in flight or waiting for one, no slot held or being claimed, no call left to report,
     * and every account registered in the ledger: a sync would have nothing to give back, renew or report. A waiter
     * row this worker left in the fleet's ledger (a claim that found the fleet full) does not count: it expires by
     * itself, and while a call of this worker still waits, that call counts.
     */
    boolean quiet() {
        if (acquiring.get() > 0) {
            return false;
        }
        lock.lock();
        try {
            for (int n : waiting) {
                if (n > 0) {
                    return false;
                }
            }
            return states.stream()
                    .allMatch(s -> s.registered
                            && s.busy.isEmpty()
                            && s.idle.isEmpty()
                            && s.claiming == 0
                            && s.pending.isEmpty());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Brings this worker's view in step with the fleet's: reports its calls, gives back the slots it has not used for
     * a while (or at once when another worker waits), renews the leases of the others, and reads every account's
     * shared state.
     */
    public void sync() {
        long started = System.nanoTime();
        fleetChanged = false; // a change told from here on is read by the next sync
        lastSyncNanos = started;
        Map<State, List<Integer>> giveBack = new HashMap<>();
        Map<State, Calls> report = new HashMap<>();
        Set<AccountLedger> ledgers = new java.util.LinkedHashSet<>();
        lock.lock();
        try {
            for (State s : states) {
                if (!s.idle.isEmpty()
                        && (s.othersWaiting
                                || started - s.lastUsedNanos >= sharing.linger().toNanos())) {
                    giveBack.put(s, new ArrayList<>(s.idle));
                    s.idle.clear();
                }
                Calls calls = s.pending.take();
                if (!calls.isEmpty()) {
                    report.put(s, calls);
                    s.sent.add(calls);
                }
                ledgers.add(s.ledger);
            }
        } finally {
            lock.unlock();
        }
        states.stream().filter(s -> !s.registered).forEach(this::register);
        giveBack.forEach(this::giveBack);
        report.forEach((s, calls) -> {
            try {
                s.ledger.addCalls(s.account.id(), calls.successes, calls.failures);
            } catch (RuntimeException e) {
                ledgerFailed("report the calls of " + s.account.id(), e);
                lock.lock();
                try {
                    s.sent.subtract(calls);
                    s.pending.add(calls);
                } finally {
                    lock.unlock();
                }
            }
        });
        if (started - lastRenewNanos >= sharing.slotLease().toNanos() / 3) {
            renewHeld();
            lastRenewNanos = started;
        }
        ledgers.forEach(ledger -> read(ledger, started));
    }

    /**
     * Gives {@code slots} back to the ledger; when it cannot be reached they stay this worker's (calls go on on them
     * through an outage of the ledger, and the next renewal keeps them).
     */
    private void giveBack(State s, List<Integer> slots) {
        try {
            s.ledger.releaseSlots(s.account.id(), holder, slots);
        } catch (RuntimeException e) {
            ledgerFailed("give back slots of " + s.account.id(), e);
            lock.lock();
            try {
                slots.forEach(s.idle::addLast);
                released.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Renews the leases of every slot this worker holds, as it holds them once no claim is under way. */
    private void renewHeld() {
        claims.writeLock().lock();
        try {
            Map<AccountLedger, Map<String, List<Integer>>> held = new HashMap<>();
            lock.lock();
            try {
                for (State s : states) {
                    List<Integer> slots = new ArrayList<>(s.busy);
                    slots.addAll(s.idle);
                    held.computeIfAbsent(s.ledger, l -> new HashMap<>()).put(s.account.id(), slots);
                }
            } finally {
                lock.unlock();
            }
            held.forEach(this::renew);
        } finally {
            claims.writeLock().unlock();
        }
    }

    private void renew(AccountLedger ledger, Map<String, List<Integer>> slots) {
        Map<String, Set<Integer>> kept;
        try {
            kept = ledger.renew(holder, slots);
        } catch (RuntimeException e) {
            ledgerFailed("renew the call slots", e);
            return;
        }
        lock.lock();
        try {
            for (State s : states) {
                if (s.ledger == ledger) {
                    Set<Integer> mine = kept.getOrDefault(s.account.id(), Set.of());
                    s.idle.removeIf(slot -> !mine.contains(slot));
                    s.busy.stream().filter(slot -> !mine.contains(slot)).forEach(s.lost::add);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void read(AccountLedger ledger, long started) {
        Map<String, AccountLedger.Shared> shared;
        try {
            shared = ledger.read(holder);
        } catch (RuntimeException e) {
            ledgerFailed("read the accounts", e);
            return;
        }
        lock.lock();
        try {
            for (State s : states) {
                AccountLedger.Shared fleet = shared.get(s.account.id());
                if (s.ledger == ledger && fleet != null) {
                    s.apply(fleet, started);
                }
            }
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Gives every slot this worker holds back to the fleet (the worker stops). */
    public void releaseAll() {
        Map<AccountLedger, Map<String, List<Integer>>> none = new HashMap<>();
        lock.lock();
        try {
            for (State s : states) {
                s.idle.clear();
                none.computeIfAbsent(s.ledger, l -> new HashMap<>());
            }
        } finally {
            lock.unlock();
        }
        none.forEach((ledger, slots) -> {
            try {
                ledger.renew(holder, slots);
            } catch (RuntimeException e) {
                ledgerFailed("give back the call slots", e);
            }
        });
    }

    /**
     * An account's state and figures as operators and tests see them. {@code inFlight}: this worker's calls;
     * {@code fleetSlotsHeld}: the slots held by the whole fleet (calls in flight, and slots kept a moment after a
     * call); {@code successes} and {@code failures}: the fleet's totals; the latencies: this worker's recent calls.
     */
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
            String circuit,
            int fleetSlotsHeld,
            int maxConcurrency) {}

    /** One call slot; closing it frees the slot (for this worker's next call, or for the fleet). */
    public final class Lease implements AutoCloseable {

        private final State state;
        private final int slot;
        private boolean closed;

        private Lease(State state, int slot) {
            this.state = state;
            this.slot = slot;
        }

        public UpstreamAccount account() {
            return state.account;
        }

        @Override
        public void close() {
            boolean giveBack;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                state.busy.remove(slot);
                state.lastUsedNanos = System.nanoTime();
                if (state.lost.remove(slot)) {
                    giveBack = false;
                } else if (state.othersWaiting) {
                    // another worker waits: this one steps back long enough for it to take the slot
                    giveBack = true;
                    state.yieldUntil =
                            System.nanoTime() + 2 * sharing.claimRetry().toNanos();
                } else {
                    giveBack = false;
                    state.idle.addFirst(slot);
                }
                released.signalAll();
            } finally {
                lock.unlock();
            }
            if (giveBack) {
                AccountPool.this.giveBack(state, List.of(slot));
            }
        }
    }

    /** Calls made and not yet reported to the ledger. */
    private static final class Calls {
        long successes;
        final Map<String, Long> failures = new TreeMap<>();

        boolean isEmpty() {
            return successes == 0 && failures.isEmpty();
        }

        Calls take() {
            Calls taken = new Calls();
            taken.add(this);
            successes = 0;
            failures.clear();
            return taken;
        }

        void add(Calls other) {
            successes += other.successes;
            other.failures.forEach((kind, n) -> failures.merge(kind, n, Long::sum));
        }

        void subtract(Calls other) {
            successes -= other.successes;
            other.failures.forEach((kind, n) -> failures.merge(kind, -n, Long::sum));
            failures.values().removeIf(n -> n == 0);
        }
    }

    private final class State {
        private static final int LATENCY_SAMPLES = 1024;
        /** Failures that say the account itself is unwell; 4xx, 429 and refused keys have their own handling. */
        private static final Set<String> BREAKING = Set.of("server_error", "timeout", "connection", "bad_response");

        private final UpstreamAccount account;
        private final AccountLedger ledger;
        private final CircuitBreaker breaker;
        private final long[] latenciesMicros = new long[LATENCY_SAMPLES];
        private long latencySamples;
        /** Slots held by this worker with a call on them, and held but idle (most recently used first). */
        private final Set<Integer> busy = new HashSet<>();

        private final Deque<Integer> idle = new ArrayDeque<>();
        /** Busy slots whose lease was lost (the ledger gave them to another worker): not kept after their call. */
        private final Set<Integer> lost = new HashSet<>();

        private final long[] fleetFullUntil = new long[Lane.values().length];
        private final Calls pending = new Calls();
        private final Calls sent = new Calls();
        private Calls fleetCalls = new Calls();
        private volatile boolean registered;
        private int claiming;
        private boolean waitingInFleet;
        private boolean othersWaiting;
        private int fleetSlotsHeld;
        private long yieldUntil;
        private long lastUsedNanos = System.nanoTime();
        private long changedNanos;
        /** Changes of this worker's made here and still being written to the fleet's ledger. */
        private int pendingWrites;

        private long resets = -1;
        private Instant coolingUntil;
        private Instant pacedUntil;
        private Instant circuitOpenUntil;
        private String disabledReason;

        State(UpstreamAccount account, CircuitBreaker breaker, AccountLedger ledger) {
            this.account = account;
            this.breaker = breaker;
            this.ledger = ledger;
            yieldUntil = System.nanoTime();
            Arrays.fill(fleetFullUntil, yieldUntil);
        }

        /** True when a call of {@code lane} can start on this account now, on a slot held or one to claim. */
        boolean canTake(Lane lane, long nowNanos) {
            return !idle.isEmpty()
                    || (busy.size() + idle.size() + claiming < account.maxConcurrency()
                            && nowNanos - claimableAt(lane) >= 0);
        }

        /** When this worker asks the ledger for a slot of {@code lane} again, after none was free or it stepped back. */
        long claimableAt(Lane lane) {
            long full = fleetFullUntil[lane.ordinal()];
            return full - yieldUntil > 0 ? full : yieldUntil;
        }

        AccountStatus status(Instant now) {
            Calls total = new Calls();
            total.add(fleetCalls);
            total.add(sent);
            total.add(pending);
            return new AccountStatus(
                    account.id(),
                    disabledReason != null
                            ? "disabled"
                            : !circuitAllows(now)
                                    ? "circuit_open"
                                    : readyAt(now).isAfter(now) ? "cooling" : "active",
                    coolingUntil != null && coolingUntil.isAfter(now) ? coolingUntil : null,
                    disabledReason,
                    busy.size(),
                    total.successes,
                    Map.copyOf(total.failures),
                    latencyMillis(0.5),
                    latencyMillis(0.95),
                    circuitOpenUntil != null
                                    && circuitOpenUntil.isAfter(now)
                                    && breaker.getState() == CircuitBreaker.State.CLOSED
                            ? "open"
                            : breaker.getState().name().toLowerCase(),
                    Math.max(fleetSlotsHeld, busy.size() + idle.size()),
                    account.maxConcurrency());
        }

        boolean circuitAllows(Instant now) {
            CircuitBreaker.State state = breaker.getState();
            return state != CircuitBreaker.State.OPEN
                    && state != CircuitBreaker.State.FORCED_OPEN
                    && (circuitOpenUntil == null || !circuitOpenUntil.isAfter(now));
        }

        /** Records a call; returns until when the circuit is open when this call opened it, else null. */
        Instant record(String outcome, Duration latency, Instant now) {
            latenciesMicros[(int) (latencySamples++ % LATENCY_SAMPLES)] = latency.toNanos() / 1000;
            CircuitBreaker.State before = breaker.getState();
            if ("success".equals(outcome)) {
                pending.successes++;
                breaker.onSuccess(latency.toNanos(), TimeUnit.NANOSECONDS);
            } else {
                pending.failures.merge(outcome, 1L, Long::sum);
                if (BREAKING.contains(outcome)) {
                    breaker.onError(latency.toNanos(), TimeUnit.NANOSECONDS, new IllegalStateException(outcome));
                }
            }
            if (before != CircuitBreaker.State.OPEN && breaker.getState() == CircuitBreaker.State.OPEN) {
                long waitMillis = breaker.getCircuitBreakerConfig()
                        .getWaitIntervalFunctionInOpenState()
                        .apply(1);
                circuitOpenUntil = now.plusMillis(waitMillis);
                return circuitOpenUntil;
            }
            return null;
        }

        void reset() {
            disabledReason = null;
            coolingUntil = null;
            circuitOpenUntil = null;
            breaker.reset();
        }

        /** The fleet's view, read by a sync that started at {@code readNanos}. */
        void apply(AccountLedger.Shared fleet, long readNanos) {
            // The fleet's view replaces this worker's only when it was read after this worker's last change was
            // written; otherwise it may predate that change (a cooldown being written, or written after the read
            // began), and a re-enable read with it waits for the next sync too, so it cannot clear a newer change.
            if (pendingWrites == 0 && readNanos - changedNanos > 0) {
                if (resets >= 0 && fleet.resets() > resets) {
                    reset(); // an operator re-enabled the account on some instance
                }
                resets = fleet.resets();
                coolingUntil = RateLimitHeaders.atMostACooldownAhead(fleet.coolingUntil(), clock.instant());
                // a refusal of another key than this worker's (the fleet rotating keys) is not this worker's to keep
                boolean thisKey =
                        fleet.disabledKey() == null || fleet.disabledKey().equals(account.keyFingerprint());
                disabledReason = thisKey ? fleet.disabledReason() : null;
                circuitOpenUntil = fleet.circuitOpenUntil();
            }
            othersWaiting = fleet.othersWaiting();
            fleetSlotsHeld = fleet.slotsHeld();
            Calls calls = new Calls();
            calls.successes = fleet.successes();
            calls.failures.putAll(fleet.failures());
            fleetCalls = calls;
            sent.take();
        }

        Double latencyMillis(double quantile) {
            int n = (int) Math.min(latencySamples, LATENCY_SAMPLES);
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

        /** When the account may take a call: after its cooldown, and once the window of its requests-per-minute has room. */
        Instant readyAt(Instant now) {
            Instant ready = coolingAt(now) ? coolingUntil : now;
            return pacedUntil != null && pacedUntil.isAfter(ready) ? pacedUntil : ready;
        }
    }
}
