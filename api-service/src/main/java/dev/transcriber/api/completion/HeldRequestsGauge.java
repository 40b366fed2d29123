package dev.transcriber.api.completion;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/**
 * {@code transcriber.requests.held}: the sync requests this instance holds open for their jobs (two requests waiting
 * for one job count twice). Per instance; summed over instances it is what a rolling restart has to drain.
 */
@Component
class HeldRequestsGauge implements MeterBinder {

    private final PendingCompletions pending;

    HeldRequestsGauge(PendingCompletions pending) {
        this.pending = pending;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("transcriber.requests.held", pending, PendingCompletions::size)
                .description("Sync requests held open by this instance until their job ends")
                .register(registry);
    }
}
