package dev.transcriber.api.admin;

import dev.transcriber.api.completion.PendingCompletions;
import java.time.Clock;
import org.springframework.stereotype.Service;

/** The operator console's overview and account list, put together from what the fleet keeps. */
@Service
class ConsoleOverview {

    private final FleetActivity activity;
    private final FleetAccounts accounts;
    private final PendingCompletions held;
    private final Clock clock;

    ConsoleOverview(FleetActivity activity, FleetAccounts accounts, PendingCompletions held, Clock clock) {
        this.activity = activity;
        this.accounts = accounts;
        this.held = held;
        this.clock = clock;
    }

    Overview overview() {
        return new Overview(
                "overview",
                clock.instant().getEpochSecond(),
                activity.lanes(),
                activity.endedPerMinute(),
                held.size(),
                accounts.all());
    }

    AccountView.Page accounts() {
        return AccountView.Page.of(accounts.all());
    }
}
