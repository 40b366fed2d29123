package dev.transcriber.api.webhooks;

import dev.transcriber.api.jobs.JobQueries;
import dev.transcriber.api.keys.Scope;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The operator's webhook views (the admin token): any job's deliveries and their redelivery, as a caller sees its
 * own, and the latest deliveries fleet-wide by status, each with its job and key.
 */
@RestController
class AdminWebhooksController {

    private final WebhookDeliveries deliveries;

    AdminWebhooksController(WebhookDeliveries deliveries) {
        this.deliveries = deliveries;
    }

    @GetMapping("/admin/jobs/{id}/webhook_deliveries")
    WebhookDeliveryView.Page ofJob(@PathVariable String id) {
        return deliveries.ofJob(JobQueries.parseId(id), Scope.EVERY_KEY);
    }

    @PostMapping("/admin/jobs/{id}/webhook_deliveries/redeliver")
    WebhookDeliveryView redeliver(@PathVariable String id) {
        return deliveries.redeliver(JobQueries.parseId(id), Scope.EVERY_KEY);
    }

    @GetMapping("/admin/webhook_deliveries")
    WebhookDeliveryView.Page latest(
            @RequestParam(required = false) String status, @RequestParam(required = false) Integer limit) {
        return deliveries.latest(status, limit);
    }
}
