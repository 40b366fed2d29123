package dev.transcriber.standalone.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Small valid WAV files made in memory: a tone of the given length. */
public final class TestAudio {

    private TestAudio() {}

    public static byte[] toneWav(double seconds) {
        int rate = 16_000;
        int samples = (int) (seconds * rate);
        ByteBuffer wav = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes()).putInt(36 + samples * 2).put("WAVE".getBytes());
        wav.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1);
        wav.putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16);
        wav.put("data".getBytes()).putInt(samples * 2);
        for (int i = 0; i < samples; i++) {
            wav.putShort((short) (Math.sin(2 * Math.PI * 440 * i / rate) * 8000));
        }
        return wav.array();
    }
}
