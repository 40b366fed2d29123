package dev.transcriber.worker.accounts;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Where the state of the upstream accounts is kept: what limits a call (call slots, the per-minute window) and what
 * the upstream or an operator said of an account (cooling, disabled, circuit open). {@link FleetLedger} shares it
 * between every worker through PostgreSQL; {@link ProcessLedger} keeps it in this process (the offline engine, whose
 * capacity is the process's own, and unit tests).
 *
 * <p>A call is made only on a slot its worker holds; an account has as many slots as its {@code max-concurrency}, so
 * however many workers there are, no more calls than that are in flight. A worker keeps a slot it has used for a
 * short while (so the next call does not pay a round trip) and gives it back at once when another worker waits.
 */
public interface AccountLedger {

    /**
     * Makes sure the account and exactly {@code maxConcurrency} slots of it exist; an account disabled for another key
     * than this one's is usable again.
     */
    void register(UpstreamAccount account);

    /**
     * One free slot of the account for {@code holder}, leaving at least {@code keepFree} free slots to others (the
     * reserve of the more urgent lanes); empty when there is none, and {@code holder} is then known to be waiting.
     */
    OptionalInt claimSlot(String accountId, String holder, int keepFree);

    /** {@code holder}, which found no free slot before, has one now: it no longer waits. */
    default void stopWaiting(String accountId, String holder) {}

    /** Gives slots back. */
    void releaseSlots(String accountId, String holder, Collection<Integer> slots);

    /**
     * Extends the lease of the slots {@code holder} holds ({@code slots}: account id → slot numbers), and gives back
     * any other slot still recorded under its name. Returns the slots that are still its own.
     */
    Map<String, Set<Integer>> renew(String holder, Map<String, ? extends Collection<Integer>> slots);

    /**
     * Counts a call start in the account's window of the last minute when it has room under {@code perMinute}; empty
     * when counted, otherwise when the window next has room.
     */
    Optional<Instant> takeCallStart(String accountId, int perMinute);

    /** The upstream answered 429: no calls until {@code until} (a later cooldown already in force stays). */
    void coolDown(String accountId, Instant until);

    /**
     * The upstream refused the account's key ({@code keyFingerprint}, {@link UpstreamAccount#keyFingerprint}): no
     * calls until an operator re-enables it, or a worker registers the account with another key.
     */
    void disable(String accountId, String keyFingerprint, String reason);

    /** The account's circuit opened: no calls until {@code until}. */
    void openCircuit(String accountId, Instant until);

    /** An operator re-enables the account: cooldown, disabling and every worker's circuit cleared. */
    void enable(String accountId);

    /** Adds a worker's calls since its last report to the account's totals. */
    void addCalls(String accountId, long successes, Map<String, Long> failures);

    /** Every registered account's shared state, as {@code holder} sees it. */
    Map<String, Shared> read(String holder);

    /**
     * An account's shared state. {@code resets} grows with every re-enable; {@code slotsHeld} counts the slots held
     * by the whole fleet; {@code othersWaiting} says that a worker other than the reader waits for a slot.
     */
    record Shared(
            Instant coolingUntil,
            String disabledReason,
            String disabledKey,
            Instant circuitOpenUntil,
            long resets,
            long successes,
            Map<String, Long> failures,
            int slotsHeld,
            boolean othersWaiting) {}
}
