package dev.transcriber.worker.audio;

import static org.bytedeco.ffmpeg.global.avutil.AVERROR_HTTP_BAD_REQUEST;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_HTTP_FORBIDDEN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_HTTP_NOT_FOUND;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_HTTP_OTHER_4XX;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_HTTP_SERVER_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_HTTP_TOO_MANY_REQUESTS;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_HTTP_UNAUTHORIZED;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
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

    /** POSIX error numbers that libavformat returns negated when the transfer, not the content, failed. */
    private static final Set<Integer> TRANSFER_ERRNOS = Set.of(5, 32, 101, 104, 110, 111, 113);

    /**
     * Whether {@code code}, from opening or reading stored audio, says the object store failed (no answer, an HTTP
     * error from it, a dropped connection) rather than that the bytes are not audio: the job is then retried, and
     * its audio kept.
     */
    static boolean transferFailed(int code) {
        return TRANSFER_ERRNOS.contains(-code)
                || code == AVERROR_HTTP_BAD_REQUEST
                || code == AVERROR_HTTP_UNAUTHORIZED
                || code == AVERROR_HTTP_FORBIDDEN
                || code == AVERROR_HTTP_NOT_FOUND
                || code == AVERROR_HTTP_TOO_MANY_REQUESTS
                || code == AVERROR_HTTP_OTHER_4XX
                || code == AVERROR_HTTP_SERVER_ERROR;
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
