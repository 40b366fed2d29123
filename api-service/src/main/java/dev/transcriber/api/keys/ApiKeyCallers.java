package dev.transcriber.api.keys;

import dev.transcriber.common.web.BearerAuthentication;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;
import org.springframework.security.core.Authentication;

/** The caller an API key names (an active key), also put on the request as {@link Caller#ATTRIBUTE}. */
final class ApiKeyCallers implements BearerAuthentication.Callers {

    private final ApiKeys keys;

    ApiKeyCallers(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public Optional<Authentication> authenticate(String secret, HttpServletRequest request) {
        return keys.authenticate(secret).map(key -> {
            Caller caller = Caller.of(key);
            request.setAttribute(Caller.ATTRIBUTE, caller);
            return BearerAuthentication.caller(caller);
        });
    }
}
