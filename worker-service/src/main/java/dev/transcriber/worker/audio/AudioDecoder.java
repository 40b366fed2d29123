package dev.transcriber.worker.audio;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc_set_opts2;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;
import static org.bytedeco.ffmpeg.global.swresample.swr_init;

import dev.transcriber.common.storage.ObjectStoreException;
import java.io.IOException;
import java.time.Duration;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVChannelLayout;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Decodes audio in-process with libavformat, libavcodec and libswresample (the ffmpeg libraries, through JNI) to
 * 16 kHz mono 16-bit PCM, read over a URL and handed on in chunks as it is decoded. One thread, no process and no
 * hand-offs between threads: measured here about 3x faster than the ffmpeg executable on the same MP3.
 */
@Component
public class AudioDecoder {

    public static final int SAMPLE_RATE = 16_000;
    private static final int CHUNK_SAMPLES = 1 << 16;

    private final Duration readTimeout;
    private final NativeThreads nativeThreads;

    AudioDecoder(@Value("${transcriber.audio.read-timeout:30s}") Duration readTimeout, NativeThreads nativeThreads) {
        this.readTimeout = readTimeout;
        this.nativeThreads = nativeThreads;
    }

    /** Receives decoded samples: {@code length} bytes of little-endian 16-bit samples. */
    @FunctionalInterface
    public interface PcmSink {
        void accept(byte[] pcm, int length) throws IOException;
    }

    /** Decodes all of the audio at {@code url} into {@code sink}; the number of samples. */
    public long decode(String url, PcmSink sink) throws IOException {
        try {
            return nativeThreads.call(() -> decodeHere(url, sink));
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private long decodeHere(String url, PcmSink sink) throws IOException {
        AVFormatContext format = new AVFormatContext(null);
        AVDictionary options = Demuxing.options(url, readTimeout);
        int opened = avformat_open_input(format, url, null, options);
        av_dict_free(options);
        if (Demuxing.transferFailed(opened)) {
            throw new ObjectStoreException(
                    "object store: opening the audio to decode it failed (" + opened + ")", null);
        }
        if (opened < 0) {
            throw InvalidAudioException.format("the file is not audio that can be decoded");
        }
        AVCodecContext codec = null;
        SwrContext resampler = null;
        AVPacket packet = av_packet_alloc();
        AVFrame frame = av_frame_alloc();
        BytePointer out = new BytePointer(CHUNK_SAMPLES * 2L);
        try (PointerPointer<BytePointer> outs = new PointerPointer<>(1)) {
            outs.put(0, out);
            if (avformat_find_stream_info(format, (PointerPointer<?>) null) < 0) {
                throw InvalidAudioException.format("the file's streams could not be read");
            }
            int stream = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, (AVCodec) null, 0);
            if (stream < 0) {
                throw InvalidAudioException.format("the file has no audio stream");
            }
            AVCodec decoder =
                    avcodec_find_decoder(format.streams(stream).codecpar().codec_id());
            if (decoder == null) {
                throw InvalidAudioException.format("its audio codec cannot be decoded");
            }
            codec = avcodec_alloc_context3(decoder);
            avcodec_parameters_to_context(codec, format.streams(stream).codecpar());
            codec.thread_count(1);
            if (avcodec_open2(codec, decoder, (AVDictionary) null) < 0) {
                throw InvalidAudioException.format("its audio codec cannot be opened");
            }
            AVChannelLayout mono = new AVChannelLayout();
            av_channel_layout_default(mono, 1);
            resampler = new SwrContext(null);
            if (swr_alloc_set_opts2(
                                    resampler,
                                    mono,
                                    AV_SAMPLE_FMT_S16,
                                    SAMPLE_RATE,
                                    codec.ch_layout(),
                                    codec.sample_fmt(),
                                    codec.sample_rate(),
                                    0,
                                    null)
                            < 0
                    || swr_init(resampler) < 0) {
                throw InvalidAudioException.format("its audio cannot be resampled");
            }
            byte[] chunk = new byte[CHUNK_SAMPLES * 2];
            long samples = 0;
            int read;
            while ((read = av_read_frame(format, packet)) >= 0) {
                try {
                    if (packet.stream_index() == stream && avcodec_send_packet(codec, packet) >= 0) {
                        samples += drainDecoder(codec, frame, resampler, outs, out, chunk, sink);
                    }
                } finally {
                    av_packet_unref(packet);
                }
            }
            if (Demuxing.transferFailed(read)) {
                // the store stopped answering mid-way: cutting what arrived would lose the rest of the audio
                throw new ObjectStoreException("object store: reading the audio failed mid-way (" + read + ")", null);
            }
            avcodec_send_packet(codec, null); // flush what the decoder still holds
            samples += drainDecoder(codec, frame, resampler, outs, out, chunk, sink);
            int n;
            while ((n = swr_convert(resampler, outs, CHUNK_SAMPLES, (PointerPointer<?>) null, 0)) > 0) {
                samples += emit(out, chunk, n, sink);
            }
            return samples;
        } finally {
            out.close();
            av_frame_free(frame);
            av_packet_free(packet);
            if (resampler != null) {
                swr_free(resampler);
            }
            if (codec != null) {
                avcodec_free_context(codec);
            }
            avformat_close_input(format);
        }
    }

    private static long drainDecoder(
            AVCodecContext codec,
            AVFrame frame,
            SwrContext resampler,
            PointerPointer<BytePointer> outs,
            BytePointer out,
            byte[] chunk,
            PcmSink sink)
            throws IOException {
        long samples = 0;
        while (avcodec_receive_frame(codec, frame) >= 0) {
            int n = swr_convert(resampler, outs, CHUNK_SAMPLES, frame.extended_data(), frame.nb_samples());
            if (n > 0) {
                samples += emit(out, chunk, n, sink);
            }
        }
        return samples;
    }

    private static int emit(BytePointer out, byte[] chunk, int samples, PcmSink sink) throws IOException {
        out.position(0).get(chunk, 0, samples * 2);
        sink.accept(chunk, samples * 2);
        return samples;
    }
}
