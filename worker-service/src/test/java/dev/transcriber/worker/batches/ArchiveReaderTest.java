package dev.transcriber.worker.batches;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

class ArchiveReaderTest {

    @Test
    void walksAZipsAudioFilesAndListsTheRestAsSkipped() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a/one.MP3", new byte[] {1, 2, 3});
        entries.put("a/notes.txt", new byte[] {4});
        entries.put("two.wav", new byte[] {5, 6});

        Seen seen = read(zip(entries), 1_000);

        assertThat(seen.files).containsExactly("a/one.MP3:3", "two.wav:2");
        assertThat(seen.skipped).containsExactly("a/notes.txt: not an audio file");
    }

    @Test
    void readsTarFilesAndListsLinksAndDevicesAsSkipped() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            TarArchiveEntry entry = new TarArchiveEntry("ep.flac");
            entry.setSize(4);
            tar.putArchiveEntry(entry);
            tar.write(new byte[] {1, 2, 3, 4});
            tar.closeArchiveEntry();
            TarArchiveEntry link = new TarArchiveEntry("link.wav", TarConstants.LF_SYMLINK);
            link.setLinkName("/etc/passwd");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
            TarArchiveEntry hard = new TarArchiveEntry("hard.wav", TarConstants.LF_LINK);
            hard.setLinkName("ep.flac");
            tar.putArchiveEntry(hard);
            tar.closeArchiveEntry();
            tar.putArchiveEntry(new TarArchiveEntry("fifo.wav", TarConstants.LF_FIFO));
            tar.closeArchiveEntry();
        }

        Seen seen = read(bytes.toByteArray(), 100_000);

        assertThat(seen.files).containsExactly("ep.flac:4");
        assertThat(seen.skipped)
                .containsExactly(
                        "link.wav: not a regular file (a link or device)",
                        "hard.wav: not a regular file (a link or device)",
                        "fifo.wav: not a regular file (a link or device)");
    }

    @Test
    void refusesPathsThatLeaveTheArchive() {
        for (String name : List.of("../x.wav", "a/../../x.wav", "/etc/x.wav", "C:\\x.wav", "a\\..\\..\\x.wav")) {
            assertThatThrownBy(() -> ArchiveReader.checkedPath(name))
                    .as(name)
                    .isInstanceOf(ArchiveReader.Refused.class)
                    .hasMessageContaining("path traversal");
        }
        assertThat(ArchiveReader.checkedPath("a/..b/x.wav")).isEqualTo("a/..b/x.wav");
    }

    @Test
    void aZipWhoseNamesAreNotUtf8IsRefusedAtOnce() throws IOException {
        // a zip written with a local code page (no UTF-8 flag): JDK 21's zip reader throws an IllegalArgumentException
        // for its name (JDK 25's a ZipException), which the expansion took for a worker's failure and tried again,
        // three times, leaving objects behind
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes, java.nio.charset.Charset.forName("IBM437"))) {
            zip.putNextEntry(new ZipEntry("Caf\u00e9.mp3"));
            zip.write(new byte[] {1, 2, 3});
            zip.closeEntry();
        }

        assertThatThrownBy(() -> read(bytes.toByteArray(), 1_000))
                .isInstanceOf(ArchiveReader.Refused.class)
                .hasMessageContaining("not a readable zip file");
    }

    @Test
    void anEntrysNameKeepsNoControlCharacters() throws IOException {
        assertThat(ArchiveReader.checkedPath("show/ep\u0000isode\u0007.mp3")).isEqualTo("show/episode.mp3");

        Seen seen = read(zip(Map.of("ep\u0000one.mp3", new byte[] {1, 2})), 1_000);
        assertThat(seen.files).containsExactly("epone.mp3:2");
    }

    @Test
    void refusesContentThatInflatesBeyondTheLimitWhetherReadOrSkipped() throws IOException {
        byte[] bomb = zip(Map.of("zeros.bin", new byte[10_000]));
        assertThat(bomb.length).isLessThan(1_000);

        assertThatThrownBy(() -> read(bomb, 5_000))
                .isInstanceOf(ArchiveReader.Refused.class)
                .hasMessageContaining("expands beyond the limit of 5000 bytes");
    }

    @Test
    void countsTheDataOfAZipDirectoryEntry() throws IOException {
        byte[] zip = zip(Map.of("dir/", new byte[10_000]));

        assertThatThrownBy(() -> read(zip, 5_000))
                .isInstanceOf(ArchiveReader.Refused.class)
                .hasMessageContaining("expands beyond the limit of 5000 bytes");
    }

    @Test
    void countsTheDataOfTarLinksPlainOrGzipped() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            TarArchiveEntry link = new TarArchiveEntry("link.wav", TarConstants.LF_SYMLINK);
            link.setLinkName("elsewhere.wav");
            link.setSize(200_000);
            tar.putArchiveEntry(link);
            tar.write(new byte[200_000]);
            tar.closeArchiveEntry();
        }
        byte[] plain = bytes.toByteArray();

        assertThat(read(plain, 1_000_000).skipped).containsExactly("link.wav: not a regular file (a link or device)");
        for (byte[] archive : List.of(plain, gzip(plain))) {
            assertThatThrownBy(() -> read(archive, 100_000))
                    .isInstanceOf(ArchiveReader.Refused.class)
                    .hasMessageContaining("expands beyond the limit of 100000 bytes");
        }
    }

    @Test
    void countsEveryEntryTowardsTheLimitOnEntriesLinksAndDirectoriesToo() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            for (int i = 0; i < 150; i++) {
                TarArchiveEntry link = new TarArchiveEntry("link" + i + ".wav", TarConstants.LF_SYMLINK);
                link.setLinkName("elsewhere.wav");
                tar.putArchiveEntry(link);
                tar.closeArchiveEntry();
            }
        }
        Map<String, byte[]> directories = new LinkedHashMap<>();
        for (int i = 0; i < 150; i++) {
            directories.put("dir" + i + "/", new byte[0]);
        }

        for (byte[] archive : List.of(bytes.toByteArray(), zip(directories))) {
            assertThatThrownBy(() -> read(archive, 1_000_000))
                    .isInstanceOf(ArchiveReader.Refused.class)
                    .hasMessageContaining("more than 100 entries");
        }
    }

    @Test
    void refusesATarWhoseHeadersForOneEntryTakeMoreThanTheirLimit() throws IOException {
        // the tar reader reads a GNU long name (or a PAX header) into memory before it returns the entry it names, and
        // each one in a row a level deeper: without a limit, one of a gigabyte runs the heap out, thousands the stack
        ArchiveReader.Limits limits = new ArchiveReader.Limits(1L << 32, 1_000_000, 100, Long.MAX_VALUE, 100);
        byte[] oneLongName = tarAfterLongNames(1, 2 * 1024 * 1024);
        byte[] manyLongNames = tarAfterLongNames(20_000, 1);

        for (byte[] archive : List.of(oneLongName, manyLongNames, gzip(manyLongNames))) {
            assertThatThrownBy(() -> read(archive, limits))
                    .isInstanceOf(ArchiveReader.Refused.class)
                    .hasMessageContaining("headers");
        }
        assertThat(read(tarAfterLongNames(3, 300), limits).files())
                .as("long names within the limit are read as ever: the last one names the file")
                .containsExactly("n".repeat(296) + ".mp3:4");
    }

    @Test
    void refusesAnEntryLargerThanTheLimitPerEntryWhetherReadOrSkipped() throws IOException {
        ArchiveReader.Limits limits = new ArchiveReader.Limits(1_000_000, 5_000, 100, Long.MAX_VALUE, 100);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            TarArchiveEntry entry = new TarArchiveEntry("big.wav");
            entry.setSize(5_001);
            tar.putArchiveEntry(entry);
            tar.write(new byte[5_001]);
            tar.closeArchiveEntry();
        }

        for (byte[] archive : List.of(
                zip(Map.of("big.wav", new byte[5_001])),
                zip(Map.of("ok.wav", new byte[10], "big.txt", new byte[5_001])),
                bytes.toByteArray())) {
            assertThatThrownBy(() -> read(archive, limits))
                    .isInstanceOf(ArchiveReader.Refused.class)
                    .hasMessageContainingAll("The archive's entry 'big.", "beyond the limit of 5000 bytes per entry");
        }
        assertThat(read(zip(Map.of("a.wav", new byte[5_000], "b.txt", new byte[5_000])), limits).files)
                .as("entries at the limit, more than it together")
                .containsExactly("a.wav:5000");
    }

    @Test
    void refusesABombOnceItInflatesBeyondTheRatioLongBeforeItsEnd() throws IOException {
        int size = 50 * 1024 * 1024;
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            TarArchiveEntry entry = new TarArchiveEntry("zeros.wav");
            entry.setSize(size);
            out.putArchiveEntry(entry);
            writeZeros(out, size);
            out.closeArchiveEntry();
        }
        ArchiveReader.Limits limits = new ArchiveReader.Limits(Long.MAX_VALUE, Long.MAX_VALUE, 100, 1024 * 1024, 100);

        for (byte[] bomb :
                List.of(zipOfZeros("zeros.wav", size), zipOfZeros("zeros.txt", size), gzip(tar.toByteArray()))) {
            assertThat(bomb.length).isLessThan(size / 500);
            long[] handed = {0};
            assertThatThrownBy(() -> new ArchiveReader(limits)
                            .read(new ByteArrayInputStream(bomb), new ArchiveReader.Entries() {
                                @Override
                                public void file(String path, InputStream content) throws IOException {
                                    byte[] buffer = new byte[8192];
                                    for (int n; (n = content.read(buffer)) >= 0; ) {
                                        handed[0] += n;
                                    }
                                }

                                @Override
                                public void skipped(String path, String reason) {}
                            }))
                    .isInstanceOf(ArchiveReader.Refused.class)
                    .hasMessageContaining("inflates to more than 100 times its compressed size");
            assertThat(handed[0])
                    .as("stopped once it passed 100 times what was read of it (at most all of it)")
                    .isLessThanOrEqualTo(100L * bomb.length + 64 * 1024);
        }
    }

    @Test
    void theRatioAppliesOnlyPastItsThreshold() throws IOException {
        ArchiveReader.Limits limits = new ArchiveReader.Limits(Long.MAX_VALUE, Long.MAX_VALUE, 100, 1024 * 1024, 100);
        byte[] noise = new byte[2 * 1024 * 1024];
        new java.util.Random(7).nextBytes(noise);

        Map<String, byte[]> noiseFirst = new LinkedHashMap<>();
        noiseFirst.put("noise.wav", noise);
        noiseFirst.put("silence.wav", new byte[4 * 1024 * 1024]);

        assertThat(read(zip(Map.of("silence.wav", new byte[1024 * 1024])), limits).files)
                .as("a thousand to one, within the threshold")
                .containsExactly("silence.wav:1048576");
        assertThat(read(zip(noiseFirst), limits).files)
                .as("less than a hundred to one in all")
                .containsExactly("noise.wav:2097152", "silence.wav:4194304");
    }

    @Test
    void refusesWhatIsNoArchive() {
        assertThatThrownBy(() -> read("just text".getBytes(), 1_000))
                .isInstanceOf(ArchiveReader.Refused.class)
                .hasMessageContaining("neither a zip nor a tar");
    }

    private record Seen(List<String> files, List<String> skipped) {}

    private static Seen read(byte[] archive, long limit) throws IOException {
        return read(archive, new ArchiveReader.Limits(limit, Long.MAX_VALUE, 100, Long.MAX_VALUE, 100));
    }

    private static Seen read(byte[] archive, ArchiveReader.Limits limits) throws IOException {
        Seen seen = new Seen(new ArrayList<>(), new ArrayList<>());
        new ArchiveReader(limits).read(new ByteArrayInputStream(archive), new ArchiveReader.Entries() {
            @Override
            public void file(String path, InputStream content) throws IOException {
                seen.files.add(path + ":" + content.readAllBytes().length);
            }

            @Override
            public void skipped(String path, String reason) {
                seen.skipped.add(path + ": " + reason);
            }
        });
        return seen;
    }

    private static byte[] zipOfZeros(String name, int size) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry(name));
            writeZeros(zip, size);
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    private static void writeZeros(java.io.OutputStream out, int size) throws IOException {
        byte[] zeros = new byte[1024 * 1024];
        for (int left = size; left > 0; left -= zeros.length) {
            out.write(zeros, 0, Math.min(left, zeros.length));
        }
    }

    /**
     * A tar of one 4-byte file whose header is preceded by {@code count} GNU long-name records of {@code size} bytes (the
     * last names it: {@code n...n.mp3}).
     */
    private static byte[] tarAfterLongNames(int count, int size) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] name = ("n".repeat(Math.max(0, size - 4)) + ".mp3".substring(Math.max(0, 4 - size)))
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int i = 0; i < count; i++) {
                TarArchiveEntry longName = new TarArchiveEntry("././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME);
                longName.setSize(size);
                tar.putArchiveEntry(longName);
                tar.write(name);
                tar.closeArchiveEntry();
            }
            TarArchiveEntry file = new TarArchiveEntry("a.mp3");
            file.setSize(4);
            tar.putArchiveEntry(file);
            tar.write(new byte[4]);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.write(content);
        }
        return bytes.toByteArray();
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (var entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
