package dev.transcriber.worker.audio;

import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import org.bytedeco.ffmpeg.avutil.AVDictionary;

/**
 * How libavformat may open stored audio. Caller content is read through libavformat, which can follow what a file
 * names: an HLS playlist's segments, a concat list's files, a {@code subfile:} or {@code crypto:} URL. So every open
 * is limited to the protocol of the URL it was given (a presigned object-store URL, or a local file), with what that
 * protocol needs underneath (https: tls and tcp), and to the demuxers of the supported containers: a playlist or
 * list is refused by name right after probing, before its header is read and before anything it names is fetched.
 */
public final class Demuxing {

    /** ffmpeg's demuxers for OpenAI's containers (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm). */
    public static final String FORMATS = "wav,mp3,flac,ogg,mov,matroska,mpeg";

    private Demuxing() {}

    /** The options for {@code avformat_open_input} of {@code url}; the caller frees them. */
    static AVDictionary options(String url, Duration readTimeout) {
        AVDictionary options = new AVDictionary(null);
        av_dict_set(options, "rw_timeout", String.valueOf(readTimeout.toNanos() / 1000), 0);
        av_dict_set(options, "protocol_whitelist", protocols(url), 0);
        av_dict_set(options, "format_whitelist", FORMATS, 0);
        return options;
    }

    static String protocols(String url) {
        if (url.startsWith("/")) {
            return "file";
        }
        String scheme;
        try {
            scheme = URI.create(url).getScheme();
        } catch (IllegalArgumentException e) {
            throw InvalidAudioException.format("its location cannot be read");
        }
        return switch (scheme == null ? "file" : scheme.toLowerCase(Locale.ROOT)) {
            case "file" -> "file";
            case "http" -> "http,tcp";
            case "https" -> "https,tls,tcp";
            default -> throw InvalidAudioException.format("its location cannot be read");
        };
    }
}
