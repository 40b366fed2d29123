package dev.transcriber.api.transcription;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.net.HttpConnections;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A sync call's audio kept on its way into the store for its hand-off: whole or not at all, within its size and the
 * instance's memory, never waiting for memory, and every block given back.
 */
class CarriedAudioTest {

    private static final int BLOCK = CarriedAudio.BLOCK;

    @Test
    void audioReadToItsEndIsCarriedWholeAndItsMemoryComesBackOnceSent() throws IOException {
        CarriedAudio carried = new CarriedAudio(1024 * 1024, 16L * BLOCK);
        byte[] audio = bytes(3 * BLOCK + 123);
        try (CarriedAudio.Copy copy = carried.copy()) {
            readInOddSizes(copy.keeping(new ByteArrayInputStream(audio)));
            assertThat(carried.freeBlocks()).isEqualTo(12);

            assertThat(copy.body(audio.length + 1))
                    .as("another length is not this audio")
                    .isNull();
            HttpConnections.Payload body = copy.body(audio.length);
            assertThat(body.length()).isEqualTo(audio.length);
            assertThat(body.replayable()).isFalse();
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            body.writeTo(sent);

            assertThat(sent.toByteArray()).isEqualTo(audio);
            assertThat(carried.freeBlocks()).as("given back once written").isEqualTo(16);
            assertThat(copy.body(audio.length)).as("sent once").isNull();
        }
        assertThat(carried.freeBlocks()).isEqualTo(16);
    }

    @Test
    void audioNotReadToItsEndIsNotCarried() throws IOException {
        CarriedAudio carried = new CarriedAudio(1024 * 1024, 16L * BLOCK);
        byte[] audio = bytes(1000);
        try (CarriedAudio.Copy copy = carried.copy()) {
            copy.keeping(new ByteArrayInputStream(audio)).readNBytes(999);

            assertThat(copy.body(999)).isNull();
            assertThat(copy.body(1000)).isNull();
        }
        assertThat(carried.freeBlocks()).isEqualTo(16);
    }

    @Test
    void audioLargerThanACallMayCarryIsDroppedAsItGrows() throws IOException {
        CarriedAudio carried = new CarriedAudio(2L * BLOCK, 16L * BLOCK);
        byte[] audio = bytes(2 * BLOCK + 1);
        try (CarriedAudio.Copy copy = carried.copy()) {
            InputStream through = copy.keeping(new ByteArrayInputStream(audio));
            byte[] read = through.readAllBytes();

            assertThat(read).as("the store gets every byte all the same").isEqualTo(audio);
            assertThat(copy.body(audio.length)).isNull();
            assertThat(carried.freeBlocks())
                    .as("dropped at once, not at the end")
                    .isEqualTo(16);
        }
    }

    @Test
    void aCallThatFindsTheMemoryTakenCarriesNothingAndDoesNotWait() throws IOException {
        CarriedAudio carried = new CarriedAudio(1024 * 1024, 3L * BLOCK);
        byte[] first = bytes(2 * BLOCK);
        byte[] second = bytes(2 * BLOCK);
        try (CarriedAudio.Copy a = carried.copy();
                CarriedAudio.Copy b = carried.copy()) {
            a.keeping(new ByteArrayInputStream(first)).readAllBytes();
            assertThat(b.keeping(new ByteArrayInputStream(second)).readAllBytes())
                    .isEqualTo(second);

            assertThat(a.body(first.length)).isNotNull();
            assertThat(b.body(second.length)).as("one block short").isNull();
            assertThat(carried.freeBlocks()).isEqualTo(1);
        }
        assertThat(carried.freeBlocks()).isEqualTo(3);
    }

    @Test
    void noneKeepsNothing() throws IOException {
        try (CarriedAudio.Copy copy = CarriedAudio.NONE.copy()) {
            InputStream in = new ByteArrayInputStream(bytes(10));
            assertThat(copy.keeping(in)).isSameAs(in);
            in.readAllBytes();
            assertThat(copy.body(10)).isNull();
        }
    }

    private static void readInOddSizes(InputStream in) throws IOException {
        byte[] buffer = new byte[7001];
        in.read(); // one byte alone, as a part's boundary check may read
        while (in.read(buffer, 0, buffer.length) >= 0) {
            // the store reads on until the end
        }
    }

    private static byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
