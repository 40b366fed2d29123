package dev.transcriber.worker.audio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.springframework.stereotype.Component;

/** The ffmpeg executable that ships in the bytedeco jars (no system install needed), started as a process. */
@Component
public class Ffmpeg {

    private volatile String path;

    public Process start(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = executable();
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            // The executable finds its own libraries (libavcodec, libva, ...) beside it in the extraction folder.
            String libraries = Path.of(command[0]).getParent().toString();
            String inherited = System.getenv("LD_LIBRARY_PATH");
            builder.environment().put("LD_LIBRARY_PATH", inherited == null ? libraries : libraries + ":" + inherited);
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start ffmpeg", e);
        }
    }

    private String executable() {
        if (path == null) {
            path = Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
        }
        return path;
    }
}
