package dev.transcriber.worker.audio;

import jakarta.annotation.PreDestroy;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Platform threads for work inside the ffmpeg libraries. A virtual thread that blocks in native code (libavformat
 * reading over HTTP, a long decode) pins its carrier, and with a carrier per core a few of them stall every other
 * virtual thread of the worker; so that work runs here, and the virtual thread that asked just waits for it.
 */
@Component
class NativeThreads {

    private final ExecutorService threads;

    NativeThreads(@Value("${transcriber.audio.native-threads:16}") int size) {
        this.threads = Executors.newFixedThreadPool(
                size, Thread.ofPlatform().name("audio-native-", 0).factory());
    }

    <T> T call(Callable<T> work) {
        try {
            return threads.submit(work).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            if (e.getCause() instanceof java.io.IOException io) {
                throw new java.io.UncheckedIOException(io);
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for audio work", e);
        }
    }

    @PreDestroy
    void stop() {
        threads.shutdownNow();
    }
}
