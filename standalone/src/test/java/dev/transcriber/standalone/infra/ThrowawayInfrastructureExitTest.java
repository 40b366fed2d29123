package dev.transcriber.standalone.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.util.FileSystemUtils;

/**
 * A JVM that ends by a signal while it holds a throwaway infrastructure (a benchmark stopped with Ctrl-C or {@code
 * kill}) stops its servers on the way out ({@link LocalInfrastructure#stopAtExit()}). PostgreSQL runs as processes of its own: it used to outlive the JVM, with its data
 * folder, until someone killed it by hand.
 */
class ThrowawayInfrastructureExitTest {

    @Test
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
                    .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            assertThat(home).doesNotExist();
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

    /** The holder's line {@code READY <home> <postgres pid>}; its other output is passed over. */
    private static String[] awaitReady(Process holder) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("READY ")) {
                Thread.ofVirtual().start(() -> out.lines().forEach(rest -> {})); // keep its output drained
                return line.split(" ");
            }
        }
        throw new AssertionError("the holder ended before its infrastructure was up (exit " + holder.waitFor() + ")");
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
            new CountDownLatch(1).await(); // until the test ends this JVM
        }
    }
}
