package dev.transcriber.api.usage;

import dev.transcriber.api.keys.Caller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Usage from the ledger, summed: {@code GET /v1/usage} for the calling key, {@code GET /admin/usage} for every key
 * (grouped by key as well). {@code start} and {@code end} are Unix seconds (end exclusive; default: all time);
 * {@code group_by} is {@code model} (default) or {@code day} (UTC).
 */
@RestController
class UsageController {

    private final UsageQueries usage;

    UsageController(UsageQueries usage) {
        this.usage = usage;
    }

    @GetMapping("/v1/usage")
    UsageReport<UsageReport.Bucket> mine(
            @RequestParam(required = false) Long start,
            @RequestParam(required = false) Long end,
            @RequestParam(name = "group_by", required = false) String groupBy,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return usage.ofKey(caller.keyId(), start, end, groupBy);
    }

    @GetMapping("/admin/usage")
    UsageReport<UsageReport.KeyBucket> all(
            @RequestParam(required = false) Long start,
            @RequestParam(required = false) Long end,
            @RequestParam(name = "group_by", required = false) String groupBy) {
        return usage.everyKey(start, end, groupBy);
    }
}
