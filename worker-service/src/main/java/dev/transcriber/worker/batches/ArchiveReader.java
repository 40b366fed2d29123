package dev.transcriber.worker.batches;

import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.store.StoredText;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Walks the entries of a zip, tar or tar.gz archive as it streams past, never holding an entry in memory. Refuses the
 * whole archive when an entry's path leaves the archive ({@code ../}, absolute, a drive letter), or, counted as it is
 * inflated whatever its headers declare, when it expands beyond {@link Limits#expandedBytes()} in all (every entry's
 * bytes, read or skipped, directories' and links' too; a tar's whole stream), when one entry expands beyond
 * {@link Limits#entryBytes()}, or when, past {@link Limits#ratioFrom()}, it has inflated to more than
 * {@link Limits#ratio()} times the archive's bytes read so far (a zip bomb stops there, not at the end of its entry).
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

    /**
     * What an archive may hold: {@code expandedBytes} inflated in all (a zip's entries, a tar's whole stream), at most
     * {@code entryBytes} in any one entry, read or skipped, at most {@code ratio} times its compressed bytes read once
     * it has inflated {@code ratioFrom} bytes, and at most {@code entries} entries of any kind.
     */
    record Limits(long expandedBytes, long entryBytes, int ratio, long ratioFrom, int entries) {
        static Limits of(BatchProperties properties) {
            return new Limits(
                    properties.maxArchiveExpandedSize().toBytes(),
                    properties.maxArchiveEntrySize().toBytes(),
                    properties.maxArchiveRatio(),
                    properties.archiveRatioThreshold().toBytes(),
                    properties.maxItems() * 10);
        }
    }

    /**
     * What a tar may read for one entry before the entry itself: its header blocks, a long name, PAX records (a few
     * kilobytes in any real archive), and what the stream's buffer reads ahead.
     */
    static final long MAX_TAR_HEADERS = 256 * 1024;

    private final Limits limits;
    private long headersFrom = -1;
    private long compressed;
    private long expanded;
    private int entries;
    private String entry;
    private long entryExpanded;

    ArchiveReader(Limits limits) {
        this.limits = limits;
    }

    void read(InputStream raw, Entries handler) throws IOException {
        BufferedInputStream in =
                new BufferedInputStream(CountingInputStream.shielded(raw, n -> compressed += n), 64 * 1024);
        byte[] head = peek(in, 2);
        if (head.length >= 2 && head[0] == 'P' && head[1] == 'K') {
            readZip(in, handler);
            return;
        }
        boolean gzipped = head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
        InputStream tar = gzipped ? new GZIPInputStream(in, 64 * 1024) : in;
        // all of the tar stream counts: headers, and what the tar reader skips unread (a link's data) too
        readTar(new BufferedInputStream(CountingInputStream.shielded(tar, this::expanded), 64 * 1024), handler);
    }

    private void readZip(InputStream in, Entries handler) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(in, StandardCharsets.UTF_8)) {
            for (ZipEntry entry; (entry = nextEntry(zip)) != null; ) {
                String path = next(entry.getName());
                // the zip reader inflates what it skips, so every entry is read here, through the count
                CountingInputStream content = CountingInputStream.shielded(zip, n -> {
                    entryExpanded(n);
                    expanded(n);
                });
                if (entry.isDirectory()) {
                    drain(content);
                } else {
                    file(path, content, handler);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new Refused("The archive is not a readable zip file: " + e.getMessage());
        }
    }

    /**
     * The zip's next entry. A name that is not UTF-8 (a zip made with a local code page, without the UTF-8 flag) is
     * an {@code IllegalArgumentException} on JDK 21 (a {@code ZipException} on later ones): a refusal either way.
     */
    private static ZipEntry nextEntry(ZipInputStream zip) throws IOException {
        try {
            return zip.getNextEntry();
        } catch (IllegalArgumentException e) {
            throw new Refused("The archive is not a readable zip file: an entry's name is not UTF-8 (make the zip"
                    + " with a tool that writes UTF-8 names, or use a tar file).");
        }
    }

    private void readTar(BufferedInputStream in, Entries handler) throws IOException {
        byte[] header = peek(in, 512);
        if (header.length < 512
                || !new String(Arrays.copyOfRange(header, 257, 262), StandardCharsets.US_ASCII).equals("ustar")) {
            throw new Refused("The archive is neither a zip nor a tar file (plain or gzip-compressed).");
        }
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry entry; (entry = nextEntry(tar)) != null; ) {
                String path = next(entry.getName());
                // the whole stream is counted under the tar reader; an entry's own data by its size, then as read
                if (entry.getSize() > limits.entryBytes()) {
                    throw entryTooLarge();
                }
                InputStream content = CountingInputStream.shielded(tar, this::entryExpanded);
                if (entry.isDirectory()) {
                    drain(content);
                } else if (!regular(entry)) {
                    handler.skipped(path, "not a regular file (a link or device)");
                    drain(content);
                } else {
                    file(path, content, handler);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new Refused("The archive is not a readable tar file: " + e.getMessage());
        }
    }

    /**
     * The tar's next entry, its headers held to {@link #MAX_TAR_HEADERS}: the tar reader reads an entry's GNU long
     * name or PAX header into memory before it returns the entry (each one in a row a call deeper), where no limit
     * on entries or their size sees it.
     */
    private TarArchiveEntry nextEntry(TarArchiveInputStream tar) throws IOException {
        headersFrom = expanded;
        try {
            return tar.getNextEntry();
        } finally {
            headersFrom = -1;
        }
    }

    /** A regular file by its type ({@link TarArchiveEntry#isFile()} says yes to links, devices and unknown types). */
    private static boolean regular(TarArchiveEntry entry) {
        byte type = entry.getLinkFlag();
        return type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG;
    }

    /** The next entry's checked path; every entry, a directory or link too, counts against the limit on entries. */
    private String next(String name) {
        String path = checkedPath(name);
        if (++entries > limits.entries()) {
            throw new Refused("The archive has more than " + limits.entries() + " entries.");
        }
        entry = path; // as it is quoted: without control characters
        entryExpanded = 0;
        return path;
    }

    private void file(String path, InputStream content, Entries handler) throws IOException {
        if (AUDIO.contains(extension(path))) {
            handler.file(path, content);
        } else {
            handler.skipped(path, "not an audio file");
        }
        drain(content); // what the handler left is counted too
    }

    private static void drain(InputStream content) throws IOException {
        content.transferTo(OutputStream.nullOutputStream());
    }

    /** The entry's path, or a refusal of the whole archive when it would leave it. */
    static String checkedPath(String name) {
        // the name is the item's label: control characters (which PostgreSQL may not even store) are dropped
        String path = StoredText.withoutControls(name.replace('\\', '/'));
        boolean escapes = path.startsWith("/")
                || path.matches("^[A-Za-z]:.*")
                || Arrays.asList(path.split("/")).contains("..");
        if (escapes) {
            throw new Refused("The archive's entry '" + path + "' points outside the archive (path traversal).");
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

    /** An entry's own bytes, as read, count against the limit per entry. */
    private void entryExpanded(long n) {
        entryExpanded += n;
        if (entryExpanded > limits.entryBytes()) {
            throw entryTooLarge();
        }
    }

    private Refused entryTooLarge() {
        return new Refused("The archive's entry '" + entry + "' expands beyond the limit of " + limits.entryBytes()
                + " bytes per entry.");
    }

    /**
     * Inflated bytes (a zip's entries', a tar's whole stream) count against the whole archive's limit, and, once past
     * the ratio's threshold, may not outgrow the archive's bytes read so far by more than the ratio: a bomb is stopped
     * after inflating about ratio times what was read of it, not at the end of its entry.
     */
    private void expanded(long n) {
        expanded += n;
        if (headersFrom >= 0 && expanded - headersFrom > MAX_TAR_HEADERS) {
            throw new Refused("The archive's headers for one entry (long names, PAX records) take more than "
                    + MAX_TAR_HEADERS + " bytes.");
        }
        if (expanded > limits.expandedBytes()) {
            throw new Refused("The archive expands beyond the limit of " + limits.expandedBytes() + " bytes.");
        }
        if (expanded > limits.ratioFrom() && expanded > (double) limits.ratio() * compressed) {
            throw new Refused("The archive inflates to more than " + limits.ratio()
                    + " times its compressed size (a compression bomb).");
        }
    }
}
