package dev.transcriber.worker.accounts;

import java.util.List;

/**
 * The answer of {@code /admin/accounts} and of a re-enable: every account this worker knows, as
 * {@link AccountPool#status()} reports them ({@code AccountList} in the API reference).
 */
record AccountList(List<AccountPool.AccountStatus> data) {

    static AccountList of(AccountPool pool) {
        return new AccountList(pool.status());
    }
}
