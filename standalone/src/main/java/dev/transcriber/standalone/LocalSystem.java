package dev.transcriber.standalone;

import dev.transcriber.api.ApiApplication;
import dev.transcriber.worker.WorkerApplication;
import java.util.ArrayList;
import java.util.List;
import org.springframework.context.ConfigurableApplicationContext;

/** The worker and the api, each in its own Spring context, started in this JVM against the given infrastructure. */
public final class LocalSystem implements AutoCloseable {

    private final ConfigurableApplicationContext worker;
    private final ConfigurableApplicationContext api;

    private LocalSystem(ConfigurableApplicationContext worker, ConfigurableApplicationContext api) {
        this.worker = worker;
        this.api = api;
    }

    /**
     * Starts both services. {@code infra} points them at the infrastructure; {@code workerArgs} and {@code apiArgs}
     * are extra {@code --key=value} settings for each.
     */
    public static LocalSystem start(List<String> infra, List<String> workerArgs, List<String> apiArgs) {
        ConfigurableApplicationContext worker =
                WorkerApplication.builder().registerShutdownHook(false).run(arguments(infra, workerArgs));
        try {
            ConfigurableApplicationContext api =
                    ApiApplication.builder().registerShutdownHook(false).run(arguments(infra, apiArgs));
            return new LocalSystem(worker, api);
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

    public int apiPort() {
        return Integer.parseInt(api.getEnvironment().getRequiredProperty("local.server.port"));
    }

    @Override
    public void close() {
        api.close();
        worker.close();
    }
}
