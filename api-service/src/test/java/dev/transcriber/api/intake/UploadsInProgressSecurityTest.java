package dev.transcriber.api.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.Caller;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/** One key's uploads under way are bounded, each key apart, and every permit is given back once. */
class UploadsInProgressSecurityTest {

    @Test
    void aKeyGetsItsMostAndNoMoreWhileAnotherKeyIsUntouched() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        UploadsInProgress uploads = new UploadsInProgress(2, meters);
        Caller one = caller();
        Caller other = caller();

        UploadsInProgress.Permit first = uploads.start(one);
        UploadsInProgress.Permit second = uploads.start(one);
        assertThatThrownBy(() -> uploads.start(one)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
            assertThat(e.code()).isEqualTo("too_many_uploads");
        });
        uploads.start(other).close();

        first.close();
        first.close(); // once only
        UploadsInProgress.Permit third = uploads.start(one);
        assertThatThrownBy(() -> uploads.start(one)).isInstanceOf(ApiException.class);
        second.close();
        third.close();
        assertThat(uploads.total()).isZero();
        assertThat(meters.get("transcriber.api.uploads.refused").counter().count())
                .isEqualTo(2);
    }

    @Test
    void manyUploadsOfOneKeyAtOnceNeverHoldMoreThanItsMost() throws Exception {
        UploadsInProgress uploads = new UploadsInProgress(5, new SimpleMeterRegistry());
        Caller key = caller();
        int attempts = 400;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        CountDownLatch attempted = new CountDownLatch(attempts);
        List<Future<?>> all = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(16)) {
            for (int i = 0; i < attempts; i++) {
                all.add(threads.submit(() -> {
                    try (UploadsInProgress.Permit permit = uploads.start(key)) {
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        attempted.countDown();
                        attempted.await(); // held until every attempt was made: the rest find the key at its most
                        inside.decrementAndGet();
                    } catch (ApiException e) {
                        refused.incrementAndGet();
                        attempted.countDown();
                    }
                    return null;
                }));
            }
            for (Future<?> one : all) {
                one.get();
            }
        }
        assertThat(most.get()).isEqualTo(5);
        assertThat(refused.get()).isEqualTo(attempts - 5);
        assertThat(uploads.total()).isZero();
    }

    @Test
    void aLimitBelowOneStopsTheStart() {
        assertThatThrownBy(() -> new UploadsInProgress(0, new SimpleMeterRegistry()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("transcriber.api.max-uploads-in-progress-per-key");
    }

    private static Caller caller() {
        return new Caller(UUID.randomUUID(), "k", List.of(), null, null, false, null);
    }
}
