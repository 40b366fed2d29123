package dev.transcriber.api.webhooks;

import dev.transcriber.api.jobs.JobQueries;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.Scope;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;

/**
 * A job's webhook deliveries (attempts, status codes, next try), redelivery of its latest one (the same message,
 * the same {@code webhook-id}), and the rotation of the calling key's signing secret.
 */
@RestController
class WebhooksController {

    private final WebhookDeliveries deliveries;

    WebhooksController(WebhookDeliveries deliveries) {
        this.deliveries = deliveries;
    }

    @GetMapping("/v1/transcription_jobs/{id}/webhook_deliveries")
    WebhookDeliveryView.Page list(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return deliveries.ofJob(JobQueries.parseId(id), Scope.of(caller));
    }

    @PostMapping("/v1/transcription_jobs/{id}/webhook_deliveries/redeliver")
    WebhookDeliveryView redeliver(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return deliveries.redeliver(JobQueries.parseId(id), Scope.of(caller));
    }

    @PostMapping("/v1/webhook_secret/rotate")
    WebhookDeliveries.SecretRotated rotate(@RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return deliveries.rotate(caller);
    }
}
