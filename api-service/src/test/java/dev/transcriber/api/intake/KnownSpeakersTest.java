package dev.transcriber.api.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The length of a speaker's reference clip, read from its WAV header. */
class KnownSpeakersTest {

    @Test
    void aWavsLengthComesFromItsFormatAndDataChunks() {
        assertThat(KnownSpeakers.wavSeconds(wav(32_000, 16_000))).isEqualTo(0.5); // 16 kHz, 16-bit mono
        assertThat(KnownSpeakers.wavSeconds("not a wav at all".getBytes(StandardCharsets.US_ASCII)))
                .isNull();
    }

    @Test
    void aChunkThatSaysItRunsToTheEndOfTheAddressSpaceEndsTheReadingNotTheRequest() {
        // RIFF, WAVE, then a chunk of 0xFFFFFFFF bytes: its end lies beyond any index an int can hold
        ByteBuffer clip = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        clip.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(12);
        clip.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        clip.put("JUNK".getBytes(StandardCharsets.US_ASCII)).putInt(-1);

        assertThat(KnownSpeakers.wavSeconds(clip.array())).isNull();
    }

    /** A PCM WAV header whose data chunk holds {@code dataBytes} at {@code byteRate} bytes a second. */
    private static byte[] wav(int byteRate, int dataBytes) {
        ByteBuffer wav = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes);
        wav.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        wav.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
        wav.putShort((short) 1).putShort((short) 1).putInt(byteRate / 2).putInt(byteRate);
        wav.putShort((short) 2).putShort((short) 16);
        wav.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        return wav.array();
    }
}
