package dev.transcriber.standalone.infra;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets an operator stop and start one server of a running {@code ./run.sh infra} without stopping the others:
 * {@code ./run.sh stop postgres} writes a request file {@code stop-postgres} into {@code $TRANSCRIBER_HOME/control},
 * this watcher carries it out and answers with {@code stop-postgres.done} (or {@code .failed} holding the reason).
 * Outage drills use it, and it restarts the embedded PostgreSQL as the infrastructure started it, with its own
 * settings, also as root (where {@code pg_ctl} refuses to run). The folder is the access control: whoever may write
 * into the data folder may already stop the servers.
 */
public final class InfraControl implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InfraControl.class);
    private static final Pattern REQUEST = Pattern.compile("(stop|start)-(postgres|kafka|s3)");

    private final Path folder;
    private final LocalInfrastructure infra;
    private final WatchService watcher;
    private final Thread thread;

    private InfraControl(Path folder, LocalInfrastructure infra, WatchService watcher) {
        this.folder = folder;
        this.infra = infra;
        this.watcher = watcher;
        this.thread = Thread.ofPlatform().daemon().name("infra-control").unstarted(this::watch);
    }

    /** Watches {@code home/control} for requests until closed. */
    public static InfraControl start(Path home, LocalInfrastructure infra) throws IOException {
        Path folder = Files.createDirectories(home.resolve("control"));
        try (Stream<Path> stale = Files.list(folder)) {
            for (Path file : stale.toList()) {
                Files.deleteIfExists(file); // requests and answers of an earlier run
            }
        }
        WatchService watcher = FileSystems.getDefault().newWatchService();
        folder.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
        InfraControl control = new InfraControl(folder, infra, watcher);
        control.thread.start();
        return control;
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                key.pollEvents().forEach(event -> {
                    if (event.context() instanceof Path name) {
                        handle(name.toString());
                    }
                });
                key.reset();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private void handle(String name) {
        Matcher request = REQUEST.matcher(name);
        if (!request.matches()) {
            return; // an answer this watcher wrote, or a file it does not know
        }
        String answer;
        String suffix;
        try {
            infra.control(request.group(1), request.group(2));
            answer = "";
            suffix = ".done";
        } catch (Exception e) {
            log.warn("{} failed: {}", name, e.toString());
            answer = e.toString();
            suffix = ".failed";
        }
        try {
            Files.deleteIfExists(folder.resolve(name));
            Files.writeString(folder.resolve(name + suffix), answer);
        } catch (IOException e) {
            log.warn("could not answer {}: {}", name, e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        watcher.close();
        thread.interrupt();
    }
}
