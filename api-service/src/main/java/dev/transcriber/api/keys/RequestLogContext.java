package dev.transcriber.api.keys;

import dev.transcriber.common.tracing.LogContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Puts the caller's key id in the log context of the thread serving the request, once it is authenticated (the job
 * id joins it when the request's job is recorded), and removes both when the request leaves the thread: only inside
 * the request's scope ({@link LogContext#request}) do they take hold. It runs on a streamed answer's later
 * dispatches too (another thread): there the job id comes from the answer's {@value #JOB_ID_HEADER} header, set when
 * the request started.
 */
final class RequestLogContext extends OncePerRequestFilter {

    static final String JOB_ID_HEADER = "X-Transcription-Job-Id";

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try (LogContext.Request logged = LogContext.request()) {
            if (request.getAttribute(Caller.ATTRIBUTE) instanceof Caller caller) {
                LogContext.keyFromHere(caller.keyId());
            }
            LogContext.jobFromHere(response.getHeader(JOB_ID_HEADER));
            chain.doFilter(request, response);
        }
    }
}
