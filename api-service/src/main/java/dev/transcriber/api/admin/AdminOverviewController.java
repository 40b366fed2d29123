package dev.transcriber.api.admin;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /admin/overview} and {@code /admin/upstream_accounts} on the api (the admin token; a worker's own
 * {@code /admin/accounts} adds what that worker sees in its process): the fleet at a glance for the
 * operator console, read from PostgreSQL, so any api instance answers for the whole fleet (but for the held sync
 * requests, which are this instance's).
 */
@RestController
class AdminOverviewController {

    private final ConsoleOverview console;

    AdminOverviewController(ConsoleOverview console) {
        this.console = console;
    }

    @GetMapping("/admin/overview")
    Overview overview() {
        return console.overview();
    }

    @GetMapping("/admin/upstream_accounts")
    AccountView.Page accounts() {
        return console.accounts();
    }
}
