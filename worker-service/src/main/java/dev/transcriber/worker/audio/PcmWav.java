package dev.transcriber.worker.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The audio the worker writes itself (pieces, speakers' reference clips): RIFF/WAVE, 16-bit PCM, mono, at the
 * decoder's rate. One place knows its 44-byte header.
 */
public final class PcmWav {

    public static final int SAMPLE_RATE = AudioDecoder.SAMPLE_RATE;
    public static final int BYTES_PER_SAMPLE = 2;
    public static final int HEADER_BYTES = 44;

    private PcmWav() {}

    /** The header of a file whose samples take {@code dataBytes}. */
    public static byte[] header(long dataBytes) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) (36 + dataBytes));
        header.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        header.put("fmt ".getBytes(StandardCharsets.US_ASCII))
                .putInt(16)
                .putShort((short) 1) // PCM
                .putShort((short) 1); // mono
        header.putInt(SAMPLE_RATE).putInt(SAMPLE_RATE * BYTES_PER_SAMPLE);
        header.putShort((short) BYTES_PER_SAMPLE).putShort((short) 16);
        header.put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) dataBytes);
        return header.array();
    }

    /** A whole file of {@code pcm} samples. */
    public static byte[] of(byte[] pcm) {
        byte[] wav = new byte[HEADER_BYTES + pcm.length];
        System.arraycopy(header(pcm.length), 0, wav, 0, HEADER_BYTES);
        System.arraycopy(pcm, 0, wav, HEADER_BYTES, pcm.length);
        return wav;
    }
}
