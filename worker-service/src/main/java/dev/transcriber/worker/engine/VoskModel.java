package dev.transcriber.worker.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;

/**
 * The small US-English Vosk model. It ships in the jar as the zip Maven Central serves ({@code vosk/vosk-model-en.zip},
 * whose {@code assets/model-en-us/} folder is the model), is extracted once into the data folder, and is loaded on
 * first use and shared by all recognisers.
 */
@Component
class VoskModel implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VoskModel.class);
    private static final String ZIP = "vosk/vosk-model-en.zip";
    private static final String PREFIX = "assets/model-en-us/";
    private static final String COMPLETE = ".complete";

    private final Path directory;
    private volatile Model model;

    VoskModel(
            @Value("${transcriber.local-engine.model-dir:${TRANSCRIBER_HOME:.transcriber}/models/vosk-model-en-us}")
                    String directory) {
        this.directory = Path.of(directory).toAbsolutePath();
    }

    Model get() {
        Model loaded = model;
        if (loaded == null) {
            synchronized (this) {
                if (model == null) {
                    model = load();
                }
                loaded = model;
            }
        }
        return loaded;
    }

    private Model load() {
        try {
            if (!Files.exists(directory.resolve(COMPLETE))) {
                extract();
            }
            LibVosk.setLogLevel(LogLevel.WARNINGS);
            long started = System.nanoTime();
            Model loaded = new Model(directory.toString());
            log.info(
                    "local engine: Vosk model loaded from {} in {} ms",
                    directory,
                    (System.nanoTime() - started) / 1_000_000);
            return loaded;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the Vosk model in " + directory, e);
        }
    }

    private void extract() throws IOException {
        Path parent = directory.getParent();
        Files.createDirectories(parent);
        Path staging = Files.createTempDirectory(parent, "vosk-extract-");
        try (InputStream zip = VoskModel.class.getClassLoader().getResourceAsStream(ZIP)) {
            if (zip == null) {
                throw new IOException(ZIP + " is not on the classpath");
            }
            try (ZipInputStream entries = new ZipInputStream(zip)) {
                for (ZipEntry entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
                    if (!entry.getName().startsWith(PREFIX) || entry.isDirectory()) {
                        continue;
                    }
                    Path target = staging.resolve(entry.getName().substring(PREFIX.length()))
                            .normalize();
                    if (!target.startsWith(staging)) {
                        throw new IOException("unexpected entry " + entry.getName());
                    }
                    Files.createDirectories(target.getParent());
                    Files.copy(entries, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.writeString(staging.resolve(COMPLETE), "extracted\n");
            if (Files.exists(directory)) {
                deleteTree(directory);
            }
            Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
            log.info("local engine: Vosk model extracted into {}", directory);
        } finally {
            if (Files.exists(staging)) {
                deleteTree(staging);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (model != null) {
            model.close();
            model = null;
        }
    }
}
