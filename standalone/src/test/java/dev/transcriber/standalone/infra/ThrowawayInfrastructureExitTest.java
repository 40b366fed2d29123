package dev.transcriber.standalone.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.util.FileSystemUtils;

/**
 * A JVM that ends by a signal while it holds a throwaway infrastructure (a benchmark stopped with Ctrl-C or {@code
 * kill}) stops its servers on the way out ({@link LocalInfrastructure#stopAtExit()}). PostgreSQL runs as processes of its own: it used to outlive the JVM, with its data
 * folder, until someone killed it by hand.
 */
class ThrowawayInfrastructureExitTest {

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aJvmEndedBySignalTakesItsPostgresAndDataWithIt() throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process holder = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-cp",
                        classPath,
                        Holder.class.getName())
                .redirectErrorStream(true)
                .start();
        long postgresPid = -1;
        Path home = null;
        try {
            String[] ready = awaitReady(holder);
            home = Path.of(ready[1]);
            postgresPid = Long.parseLong(ready[2]);
            assertThat(ProcessHandle.of(postgresPid))
                    .hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());

            holder.destroy(); // SIGTERM, as kill or a terminal's Ctrl-C would end it
            assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();

            long pid = postgresPid;
            await().atMost(Duration.ofSeconds(30))
                    .alias("PostgreSQL ended with the JVM; the JVM said:\n" + String.join("\n", output))
                    .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            assertThat(home).as(() -> String.join("\n", output)).doesNotExist();
        } finally {
            holder.destroyForcibly();
            // what a failing run would leave behind
            if (postgresPid > 0) {
                stop(ProcessHandle.of(postgresPid));
            }
            if (home != null) {
                FileSystemUtils.deleteRecursively(home);
            }
        }
    }

    private static void stop(Optional<ProcessHandle> process) throws Exception {
        if (process.isPresent()) {
            process.get().destroy();
            try {
                process.get().onExit().get(30, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                process.get().destroyForcibly();
            }
        }
    }

    /** The holder's output, kept for the failure messages. */
    private final List<String> output = new CopyOnWriteArrayList<>();

    /** The holder's line {@code READY <home> <postgres pid>}; its other output is kept in {@link #output}. */
    private String[] awaitReady(Process holder) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            output.add(line);
            if (line.startsWith("READY ")) {
                Thread.ofVirtual()
                        .start(
                                () -> { // keep it drained, and kept, until it ends
                                    try {
                                        for (String rest = out.readLine(); rest != null; rest = out.readLine()) {
                                            output.add(rest);
                                        }
                                    } catch (IOException ended) {
                                        // the holder was ended
                                    }
                                });
                return line.split(" ");
            }
        }
        throw new AssertionError("the holder ended before its infrastructure was up (exit " + holder.waitFor() + "):\n"
                + String.join("\n", output));
    }

    /** Starts a throwaway infrastructure, says where, and waits to be ended. */
    public static final class Holder {

        public static void main(String[] args) throws Exception {
            LocalInfrastructure infra = LocalInfrastructure.throwaway(
                            "transcriber-exit", LocalInfrastructure.Ports.free())
                    .stopAtExit();
            Path home = infra.home();
            String pid = Files.readAllLines(home.resolve("postgres").resolve("postmaster.pid"))
                    .getFirst()
                    .trim();
            System.out.println("READY " + home + " " + pid);
            System.out.flush();
            // until the test ends this JVM; should the test's JVM end first, this one ends too, the same way
            Optional<ProcessHandle> parent = ProcessHandle.current().parent();
            if (parent.isPresent()) {
                parent.get().onExit().join();
                System.exit(0);
            }
            new CountDownLatch(1).await();
        }
    }
}
