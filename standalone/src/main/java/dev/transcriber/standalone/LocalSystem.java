package dev.transcriber.standalone;

import dev.transcriber.api.ApiApplication;
import dev.transcriber.worker.WorkerApplication;
import java.util.ArrayList;
import java.util.List;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/** The worker and the api, each in its own Spring context, started in this JVM against the given infrastructure. */
public final class LocalSystem implements AutoCloseable {

    private volatile ConfigurableApplicationContext worker;
    private final ConfigurableApplicationContext api;
    private final String[] workerArguments;
    private final ApplicationContextInitializer<?>[] initializers;

    private LocalSystem(
            ConfigurableApplicationContext worker,
            ConfigurableApplicationContext api,
            String[] workerArguments,
            ApplicationContextInitializer<?>[] initializers) {
        this.worker = worker;
        this.api = api;
        this.workerArguments = workerArguments;
        this.initializers = initializers;
    }

    /**
     * Starts both services. {@code infra} points them at the infrastructure; {@code workerArgs} and {@code apiArgs}
     * are extra {@code --key=value} settings for each.
     */
    public static LocalSystem start(List<String> infra, List<String> workerArgs, List<String> apiArgs) {
        return start(infra, workerArgs, apiArgs, new ApplicationContextInitializer<?>[0]);
    }

    /** As {@link #start(List, List, List)}, with {@code initializers} applied to both contexts (tests add beans so). */
    public static LocalSystem start(
            List<String> infra,
            List<String> workerArgs,
            List<String> apiArgs,
            ApplicationContextInitializer<?>... initializers) {
        String[] workerArguments = arguments(infra, workerArgs);
        ConfigurableApplicationContext worker = WorkerApplication.builder()
                .initializers(initializers)
                .registerShutdownHook(false)
                .run(workerArguments);
        try {
            ConfigurableApplicationContext api = ApiApplication.builder()
                    .initializers(initializers)
                    .registerShutdownHook(false)
                    .run(arguments(infra, apiArgs));
            return new LocalSystem(worker, api, workerArguments, initializers);
        } catch (RuntimeException e) {
            worker.close();
            throw e;
        }
    }

    private static String[] arguments(List<String> infra, List<String> extra) {
        List<String> args = new ArrayList<>(infra);
        args.addAll(extra);
        return args.toArray(String[]::new);
    }

    public ConfigurableApplicationContext api() {
        return api;
    }

    public ConfigurableApplicationContext worker() {
        return worker;
    }

    /** Stops the worker and starts it again with the same settings (everything it had in flight is in the stores). */
    public synchronized void restartWorker() {
        worker.close();
        worker = WorkerApplication.builder()
                .initializers(initializers)
                .registerShutdownHook(false)
                .run(workerArguments);
    }

    public int apiPort() {
        return Integer.parseInt(api.getEnvironment().getRequiredProperty("local.server.port"));
    }

    @Override
    public void close() {
        api.close();
        worker.close();
    }
}
