package dev.transcriber.standalone;

import dev.transcriber.api.ApiApplication;
import dev.transcriber.worker.WorkerApplication;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
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
     * are extra {@code --key=value} settings for each. The api hands sync calls' jobs to this worker directly, with an
     * internal token made for this run, unless the settings name a token ({@code transcriber.internal.token}) or a
     * worker to hand them to ({@code transcriber.api.hand-off.worker}) of their own.
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
        List<String> internal = names(infra, workerArgs, INTERNAL_TOKEN) || names(infra, apiArgs, INTERNAL_TOKEN)
                ? List.of()
                : List.of(INTERNAL_TOKEN + HexFormat.of().formatHex(randomBytes()));
        String[] workerArguments = arguments(infra, workerArgs, internal);
        ConfigurableApplicationContext worker = WorkerApplication.builder()
                .initializers(initializers)
                .registerShutdownHook(false)
                .run(workerArguments);
        try {
            List<String> handOff = names(infra, apiArgs, HAND_OFF_WORKER)
                    ? internal
                    : concat(
                            internal,
                            List.of(HAND_OFF_WORKER + "http://127.0.0.1:"
                                    + worker.getEnvironment().getRequiredProperty("local.server.port")));
            ConfigurableApplicationContext api = ApiApplication.builder()
                    .initializers(initializers)
                    .registerShutdownHook(false)
                    .run(arguments(infra, apiArgs, handOff));
            return new LocalSystem(worker, api, workerArguments, initializers);
        } catch (RuntimeException e) {
            worker.close();
            throw e;
        }
    }

    private static final String INTERNAL_TOKEN = "--transcriber.internal.token=";
    private static final String HAND_OFF_WORKER = "--transcriber.api.hand-off.worker=";

    /** {@code defaults} come first, so a setting of {@code infra} or {@code extra} overrides them. */
    private static String[] arguments(List<String> infra, List<String> extra, List<String> defaults) {
        List<String> args = new ArrayList<>(defaults);
        args.addAll(infra);
        args.addAll(extra);
        return args.toArray(String[]::new);
    }

    private static boolean names(List<String> infra, List<String> extra, String setting) {
        return concat(infra, extra).stream().anyMatch(arg -> arg.startsWith(setting));
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return bytes;
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
