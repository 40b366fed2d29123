package dev.transcriber.common.webhooks;

import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;

public interface WebhookDeliveryRepository extends JpaRepository<WebhookDelivery, String> {

    List<WebhookDelivery> findByJobIdOrderByCreatedAt(UUID jobId);

    /** The latest deliveries in {@code states}, fleet-wide, newest first. */
    List<WebhookDelivery> findByStateInOrderByCreatedAtDescIdDesc(Collection<DeliveryState> states, Limit limit);
}
