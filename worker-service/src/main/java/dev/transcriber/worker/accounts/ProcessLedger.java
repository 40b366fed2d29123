package dev.transcriber.worker.accounts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The accounts' state in this process only: for the offline engine (its capacity is this process's) and for unit
 * tests of the pool. Slots are never leased out to anyone else, so nobody else ever waits.
 */
public final class ProcessLedger implements AccountLedger {

    private final Clock clock;
    private final Map<String, Account> accounts = new HashMap<>();

    public ProcessLedger(Clock clock) {
        this.clock = clock;
    }

    private static final class Account {
        final Set<Integer> free = new TreeSet<>();
        final Deque<Instant> starts = new ArrayDeque<>();
        final Map<String, Long> failures = new TreeMap<>();
        Instant coolingUntil;
        String disabledReason;
        Instant circuitOpenUntil;
        long resets;
        long successes;
        int slots;
    }

    @Override
    public synchronized void register(UpstreamAccount account) {
        Account a = accounts.computeIfAbsent(account.id(), id -> new Account());
        for (int slot = a.slots; slot < account.maxConcurrency(); slot++) {
            a.free.add(slot);
        }
        a.free.removeIf(slot -> slot >= account.maxConcurrency());
        a.slots = account.maxConcurrency();
    }

    @Override
    public synchronized OptionalInt claimSlot(String accountId, String holder, int keepFree) {
        Account a = account(accountId);
        if (a.free.size() <= keepFree) {
            return OptionalInt.empty();
        }
        int slot = a.free.iterator().next();
        a.free.remove(slot);
        return OptionalInt.of(slot);
    }

    @Override
    public synchronized void releaseSlots(String accountId, String holder, Collection<Integer> slots) {
        Account a = account(accountId);
        slots.stream().filter(slot -> slot < a.slots).forEach(a.free::add);
    }

    @Override
    public synchronized Map<String, Set<Integer>> renew(
            String holder, Map<String, ? extends Collection<Integer>> slots) {
        return slots.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> Set.copyOf(e.getValue())));
    }

    @Override
    public synchronized Optional<Instant> takeCallStart(String accountId, int perMinute) {
        Account a = account(accountId);
        Instant now = clock.instant();
        while (!a.starts.isEmpty() && !a.starts.peekFirst().isAfter(now.minus(Duration.ofMinutes(1)))) {
            a.starts.pollFirst();
        }
        if (a.starts.size() >= perMinute) {
            return Optional.of(a.starts.peekFirst().plus(Duration.ofMinutes(1)));
        }
        a.starts.addLast(now);
        return Optional.empty();
    }

    @Override
    public synchronized void coolDown(String accountId, Instant until) {
        Account a = account(accountId);
        if (a.coolingUntil == null || a.coolingUntil.isBefore(until)) {
            a.coolingUntil = until;
        }
    }

    @Override
    public synchronized void disable(String accountId, String keyFingerprint, String reason) {
        account(accountId).disabledReason = reason;
    }

    @Override
    public synchronized void openCircuit(String accountId, Instant until) {
        account(accountId).circuitOpenUntil = until;
    }

    @Override
    public synchronized void enable(String accountId) {
        Account a = account(accountId);
        a.coolingUntil = null;
        a.disabledReason = null;
        a.circuitOpenUntil = null;
        a.resets++;
    }

    @Override
    public synchronized void addCalls(String accountId, long successes, Map<String, Long> failures) {
        Account a = account(accountId);
        a.successes += successes;
        failures.forEach((kind, n) -> a.failures.merge(kind, n, Long::sum));
    }

    @Override
    public synchronized Map<String, Shared> read(String holder) {
        Map<String, Shared> shared = new HashMap<>();
        accounts.forEach((id, a) -> shared.put(
                id,
                new Shared(
                        a.coolingUntil,
                        a.disabledReason,
                        null, // this process's own: its key never changes while it runs
                        a.circuitOpenUntil,
                        a.resets,
                        a.successes,
                        Map.copyOf(a.failures),
                        a.slots - a.free.size(),
                        false)));
        return shared;
    }

    private Account account(String id) {
        Account a = accounts.get(id);
        if (a == null) {
            throw new IllegalArgumentException("no account " + id);
        }
        return a;
    }
}
