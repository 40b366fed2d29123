package dev.transcriber.worker.audio;

import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A job's audio read from the object store once, into a file of this worker's own: the probe, the cutter and the
 * upstream call all read that file, so the object is fetched once per job instead of once by libavformat's own HTTP
 * requests (several ranged reads) and once more for the upstream call. Only audio within one call's byte limit is
 * copied (at most that many bytes on disk per job in flight), except a plain PCM WAV that fits one call, which its
 * header describes ({@link WavHeader}) and which goes upstream as it streams from the store; longer audio is read
 * over a presigned URL as before.
 * The file is deleted when the copy is closed.
 */
public final class LocalAudioCopy implements AutoCloseable {

    private final Path file;

    private LocalAudioCopy(Path file) {
        this.file = file;
    }

    /**
     * Reads {@code audio} (the object {@code objectKey}, opened) into a new temporary file and closes it; an
     * object-store failure is an {@link ObjectStoreException}.
     */
    public static LocalAudioCopy of(InputStream audio, String objectKey) {
        Path file;
        try {
            file = Files.createTempFile("transcriber-audio-", ".bin");
        } catch (IOException e) {
            ObjectStore.closeQuietly(audio);
            throw new UncheckedIOException(e);
        }
        try (InputStream in = audio) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return new LocalAudioCopy(file);
        } catch (IOException e) {
            deleteQuietly(file);
            throw new ObjectStoreException("object store: reading " + objectKey + " failed (" + e + ")", e);
        } catch (RuntimeException e) {
            deleteQuietly(file);
            throw e;
        }
    }

    /** The file's path, as libavformat opens it (the {@code file} protocol alone is allowed for it). */
    public String location() {
        return file.toAbsolutePath().toString();
    }

    /** A new stream over the copy (each upstream attempt reads it from the start). */
    public InputStream open() {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        deleteQuietly(file);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the temporary directory's own cleanup takes it
        }
    }
}
