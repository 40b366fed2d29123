package dev.transcriber.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Parts on their way to the store share one budget of memory, a block at a time, and give it all back. */
class PartBuffersTest {

    private static final int BLOCK = PartBuffers.BLOCK;

    @Test
    void aPartIsReadAsReadNBytesWouldAndSentAsRead() throws Exception {
        PartBuffers buffers = new PartBuffers(10L * BLOCK, Duration.ZERO);
        byte[] source = bytes(3 * BLOCK + 17);

        try (PartBuffers.Part part = buffers.read(new ByteArrayInputStream(source), 2 * BLOCK + 5)) {
            assertThat(part.size()).isEqualTo(2 * BLOCK + 5);
            assertThat(buffers.heldBytes()).isEqualTo(3L * BLOCK);
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            part.writeTo(sent);
            assertThat(sent.toByteArray()).isEqualTo(Arrays.copyOf(source, 2 * BLOCK + 5));
            assertThat(part.sha256())
                    .isEqualTo(HexFormat.of()
                            .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                    .digest(Arrays.copyOf(source, 2 * BLOCK + 5))));
            assertThat(part.toArray()).isEqualTo(Arrays.copyOf(source, 2 * BLOCK + 5));
        }
        assertThat(buffers.heldBytes()).isZero();

        try (PartBuffers.Part shorter = buffers.read(new ByteArrayInputStream(source), 8 * BLOCK)) {
            assertThat(shorter.size()).as("a source that ends first").isEqualTo(source.length);
        }
        try (PartBuffers.Part edge = buffers.read(new ByteArrayInputStream(bytes(2 * BLOCK)), 8 * BLOCK)) {
            assertThat(edge.size()).isEqualTo(2 * BLOCK);
            assertThat(buffers.heldBytes()).as("no block taken for the end").isEqualTo(2L * BLOCK);
        }
        try (PartBuffers.Part empty = buffers.read(InputStream.nullInputStream(), 8 * BLOCK)) {
            assertThat(empty.size()).isZero();
            assertThat(buffers.heldBytes()).isZero();
        }
        assertThat(buffers.heldBytes()).isZero();
    }

    @Test
    void aByteAlreadyReadStartsThePart() throws Exception {
        PartBuffers buffers = new PartBuffers(4L * BLOCK, Duration.ZERO);
        byte[] rest = bytes(BLOCK);

        try (PartBuffers.Part part = buffers.read(0xfe, new ByteArrayInputStream(rest), BLOCK)) {
            byte[] all = part.toArray();
            assertThat(all).hasSize(BLOCK);
            assertThat(all[0]).isEqualTo((byte) 0xfe);
            assertThat(Arrays.copyOfRange(all, 1, BLOCK)).isEqualTo(Arrays.copyOf(rest, BLOCK - 1));
        }
    }

    @Test
    void aPartThatFindsTheBudgetSpentFailsAndGivesBackWhatItHeld() throws Exception {
        PartBuffers buffers = new PartBuffers(3L * BLOCK, Duration.ofMillis(50));
        try (PartBuffers.Part first = buffers.read(new ByteArrayInputStream(bytes(2 * BLOCK)), 2 * BLOCK)) {
            assertThat(buffers.heldBytes()).isEqualTo(2L * BLOCK);

            assertThatThrownBy(() -> buffers.read(new ByteArrayInputStream(bytes(2 * BLOCK)), 2 * BLOCK))
                    .isInstanceOf(BufferMemoryExhaustedException.class)
                    .isInstanceOf(ObjectStoreException.class);
            assertThat(buffers.heldBytes())
                    .as("the refused part's first block is back")
                    .isEqualTo(2L * BLOCK);
        }
        try (PartBuffers.Part whole = buffers.read(new ByteArrayInputStream(bytes(3 * BLOCK)), 3 * BLOCK)) {
            assertThat(whole.size()).isEqualTo(3 * BLOCK);
        }
        assertThat(buffers.heldBytes()).isZero();
    }

    @Test
    void aSourceThatFailsGivesBackWhatItsPartHeld() {
        PartBuffers buffers = new PartBuffers(4L * BLOCK, Duration.ZERO);
        InputStream failing = new InputStream() {
            private int served;

            @Override
            public int read() throws IOException {
                if (served++ > BLOCK + 10) {
                    throw new IOException("the sender went away");
                }
                return 1;
            }
        };

        assertThatThrownBy(() -> buffers.read(failing, 3 * BLOCK)).isInstanceOf(IOException.class);
        assertThat(buffers.heldBytes()).isZero();
    }

    private static byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        return bytes;
    }
}
