package dev.transcriber.api.admin;

import java.util.List;
import java.util.Map;

/**
 * An upstream account as the fleet's ledger holds it: its state ({@code usable}, {@code cooling} after a 429,
 * {@code disabled} after a refused key, {@code circuit_open} after server errors), until when, why, the call slots
 * the fleet holds of its {@code max_concurrency}, workers waiting for one, and the fleet's call counts. Times are Unix
 * seconds.
 */
record AccountView(
        String id,
        String object,
        String provider,
        String state,
        Long cooling_until,
        String reason,
        Long circuit_open_until,
        int slots_held,
        Integer max_concurrency,
        int workers_waiting,
        long successes,
        Map<String, Long> failures,
        long updated_at) {

    /** Accounts in OpenAI's list shape. */
    record Page(String object, List<AccountView> data) {
        static Page of(List<AccountView> data) {
            return new Page("list", data);
        }
    }
}
