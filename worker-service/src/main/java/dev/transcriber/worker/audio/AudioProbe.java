package dev.transcriber.worker.audio;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_ADPCM_IMA_QT;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FIRST_AUDIO;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_FATAL;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

import dev.transcriber.common.storage.ObjectStoreException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Probes audio in-process with libavformat (the same libraries as the ffmpeg executable, through JNI), reading the
 * worker's local copy of it ({@link LocalAudioCopy}), or over a presigned URL for audio larger than one call: no
 * process to start and only the head of the file read, so probing costs a few milliseconds (a plain PCM WAV within
 * one call is probed from its header without it: {@link WavHeader}). The container is detected from the content, never
 * from the file name; only the supported containers' demuxers and the URL's own protocol may be used ({@link
 * Demuxing}).
 */
@Component
public class AudioProbe {

    /** ffmpeg's names for the containers of OpenAI's list (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm). */
    private static final Set<String> SUPPORTED_CONTAINERS =
            Set.of("wav", "mp3", "flac", "ogg", "mov", "mp4", "m4a", "matroska", "webm", "mpeg");

    /** AVERROR(EINVAL): what opening gives when the probed container is not on {@link Demuxing#FORMATS}. */
    private static final int NOT_ON_WHITELIST = -22;

    private final Duration readTimeout;
    private final NativeThreads nativeThreads;

    AudioProbe(@Value("${transcriber.audio.read-timeout:30s}") Duration readTimeout, NativeThreads nativeThreads) {
        this.readTimeout = readTimeout;
        this.nativeThreads = nativeThreads;
        av_log_set_level(AV_LOG_FATAL);
    }

    /** Throws {@link InvalidAudioException} naming the problem when the audio is not usable. */
    public ProbedAudio probe(String url) {
        return nativeThreads.call(() -> probeHere(url));
    }

    private ProbedAudio probeHere(String url) {
        AVFormatContext context = new AVFormatContext(null);
        AVDictionary options = Demuxing.options(url, readTimeout);
        int opened = avformat_open_input(context, url, null, options);
        av_dict_free(options);
        if (Demuxing.transferFailed(opened)) {
            throw new ObjectStoreException("object store: probing the audio failed (" + error(opened) + ")", null);
        }
        if (opened == NOT_ON_WHITELIST) {
            throw InvalidAudioException.format("its content is not in a supported container");
        }
        if (opened < 0) {
            throw InvalidAudioException.format("the file is not audio that can be decoded (" + error(opened) + ")");
        }
        try {
            int found = describedByHeader(context) ? 0 : avformat_find_stream_info(context, (PointerPointer<?>) null);
            if (Demuxing.transferFailed(found)) {
                throw new ObjectStoreException("object store: probing the audio failed (" + error(found) + ")", null);
            }
            if (found < 0) {
                throw InvalidAudioException.format("the file's streams could not be read (" + error(found) + ")");
            }
            String container = context.iformat().name().getString();
            if (Arrays.stream(container.split(",")).noneMatch(SUPPORTED_CONTAINERS::contains)) {
                throw InvalidAudioException.format("the content is '" + container + "', which is not supported");
            }
            int index = av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, -1, (AVCodec) null, 0);
            if (index < 0) {
                throw InvalidAudioException.format("the file has no audio stream");
            }
            AVStream stream = context.streams(index);
            int codecId = stream.codecpar().codec_id();
            String codec = avcodec_get_name(codecId).getString();
            if (avcodec_find_decoder(codecId) == null) {
                throw InvalidAudioException.format("its audio codec '" + codec + "' cannot be decoded");
            }
            Double duration = duration(context, stream);
            if (duration != null && duration <= 0) {
                throw new InvalidAudioException("The audio file contains no audio (its duration is 0 seconds).");
            }
            return new ProbedAudio(container, codec, duration);
        } finally {
            avformat_close_input(context);
        }
    }

    /**
     * A WAV of plain PCM whose header gives its codec, rate, channels and length: reading its samples to learn them
     * again ({@code avformat_find_stream_info}) measured 2.2 ms of CPU for 3.6 s of 16 kHz audio and 6.8 ms for 61 s,
     * for the same answer (the length is the header's in both cases). Any other file, a WAV whose length its header
     * does not give (written to a pipe) among them, is read as before.
     */
    private static boolean describedByHeader(AVFormatContext context) {
        if (context.nb_streams() != 1 || !"wav".equals(context.iformat().name().getString())) {
            return false;
        }
        AVStream stream = context.streams(0);
        int codec = stream.codecpar().codec_id();
        return codec >= AV_CODEC_ID_FIRST_AUDIO
                && codec < AV_CODEC_ID_ADPCM_IMA_QT // the PCM codecs come first among the audio codecs
                && stream.codecpar().sample_rate() > 0
                && stream.codecpar().ch_layout().nb_channels() > 0
                && stream.duration() != AV_NOPTS_VALUE
                && stream.duration() >= 0;
    }

    private static Double duration(AVFormatContext context, AVStream stream) {
        if (context.duration() != AV_NOPTS_VALUE) {
            return context.duration() / 1_000_000.0;
        }
        if (stream.duration() != AV_NOPTS_VALUE) {
            return stream.duration()
                    * stream.time_base().num()
                    / (double) stream.time_base().den();
        }
        return null;
    }

    private static String error(int code) {
        try (BytePointer message = new BytePointer(256)) {
            av_strerror(code, message, 256);
            String text = message.getString();
            int end = text.indexOf('\0');
            return end < 0 ? text : text.substring(0, end);
        }
    }
}
