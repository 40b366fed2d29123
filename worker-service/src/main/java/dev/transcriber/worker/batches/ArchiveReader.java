package dev.transcriber.worker.batches;

import dev.transcriber.common.storage.CountingInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Walks the entries of a zip, tar or tar.gz archive as it streams past, never holding an entry in memory. Refuses the
 * whole archive when an entry's path leaves the archive ({@code ../}, absolute, a drive letter) or when its entries'
 * content, counted as it is inflated, grows beyond {@code maxExpandedBytes} (a zip bomb stops there, whatever its
 * headers declare).
 */
final class ArchiveReader {

    /** Extensions taken as audio (or video with sound): the worker probes each item's content later anyway. */
    static final Set<String> AUDIO = Set.of(
            "mp3", "mp4", "mpeg", "mpga", "m4a", "wav", "webm", "ogg", "oga", "opus", "flac", "aac", "mkv", "mov");

    /** What to do with each file entry. The content stream stays open for the next entry; read it or leave it. */
    interface Entries {
        void file(String path, InputStream content) throws IOException;

        void skipped(String path, String reason);
    }

    /** The archive is refused as a whole; nothing of it should be kept. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    private final long maxExpandedBytes;
    private final int maxEntries;
    private long expanded;
    private int entries;

    ArchiveReader(long maxExpandedBytes, int maxEntries) {
        this.maxExpandedBytes = maxExpandedBytes;
        this.maxEntries = maxEntries;
    }

    void read(InputStream raw, Entries handler) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 64 * 1024);
        byte[] head = peek(in, 2);
        if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            readTar(new BufferedInputStream(new GZIPInputStream(in, 64 * 1024), 64 * 1024), handler);
        } else if (head.length >= 2 && head[0] == 'P' && head[1] == 'K') {
            readZip(in, handler);
        } else {
            readTar(in, handler);
        }
    }

    private void readZip(InputStream in, Entries handler) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(in, StandardCharsets.UTF_8)) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                if (!entry.isDirectory()) {
                    file(entry.getName(), zip, handler);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new Refused("The archive is not a readable zip file: " + e.getMessage());
        }
    }

    private void readTar(BufferedInputStream in, Entries handler) throws IOException {
        byte[] header = peek(in, 512);
        if (header.length < 512
                || !new String(Arrays.copyOfRange(header, 257, 262), StandardCharsets.US_ASCII).equals("ustar")) {
            throw new Refused("The archive is neither a zip nor a tar file (plain or gzip-compressed).");
        }
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                if (entry.isDirectory()) {
                    continue;
                }
                String path = checkedPath(entry.getName());
                if (!entry.isFile()) {
                    handler.skipped(path, "not a regular file (a link or device)");
                    continue;
                }
                file(path, tar, handler);
            }
        } catch (IllegalArgumentException e) {
            throw new Refused("The archive is not a readable tar file: " + e.getMessage());
        }
    }

    private void file(String name, InputStream archive, Entries handler) throws IOException {
        String path = checkedPath(name);
        if (++entries > maxEntries) {
            throw new Refused("The archive has more than " + maxEntries + " files.");
        }
        CountingInputStream content = CountingInputStream.shielded(archive, this::count);
        if (AUDIO.contains(extension(path))) {
            handler.file(path, content);
        } else {
            handler.skipped(path, "not an audio file");
        }
        content.transferTo(java.io.OutputStream.nullOutputStream()); // what the handler left is counted too
    }

    /** The entry's path, or a refusal of the whole archive when it would leave it. */
    static String checkedPath(String name) {
        String path = name.replace('\\', '/');
        boolean escapes = path.startsWith("/")
                || path.matches("^[A-Za-z]:.*")
                || Arrays.asList(path.split("/")).contains("..");
        if (escapes) {
            throw new Refused("The archive's entry '" + name + "' points outside the archive (path traversal).");
        }
        return path;
    }

    static String extension(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        int dot = file.lastIndexOf('.');
        return dot < 0 ? "" : file.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static byte[] peek(BufferedInputStream in, int n) throws IOException {
        in.mark(n);
        byte[] head = in.readNBytes(n);
        in.reset();
        return head;
    }

    /** An entry's inflated bytes count against the whole archive's limit. */
    private void count(long n) {
        expanded += n;
        if (expanded > maxExpandedBytes) {
            throw new Refused("The archive expands beyond the limit of " + maxExpandedBytes + " bytes.");
        }
    }
}
