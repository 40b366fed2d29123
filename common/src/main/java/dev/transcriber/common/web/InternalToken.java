package dev.transcriber.common.web;

/**
 * The token the api sends with a job it hands to a worker directly ({@code transcriber.internal.token},
 * TRANSCRIBER_INTERNAL_TOKEN), and the only credential the worker's internal route takes (role
 * {@value BearerAuthentication#INTERNAL}). Unset, that route is closed and the api hands nothing over; set, it must be
 * strong ({@link Secrets}) and differ from the admin token, so neither opens the other's routes. Compared in constant
 * time.
 */
public final class InternalToken {

    private final ConfiguredSecret token;

    public InternalToken(String token) {
        this.token = new ConfiguredSecret("transcriber.internal.token (TRANSCRIBER_INTERNAL_TOKEN)", token);
    }

    public boolean configured() {
        return token.configured();
    }

    public boolean matches(String bearer) {
        return token.matches(bearer);
    }

    /** The token to send; null when unset. */
    public String bearer() {
        return token.value();
    }
}
