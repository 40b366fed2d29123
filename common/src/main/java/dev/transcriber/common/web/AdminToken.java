package dev.transcriber.common.web;

/**
 * The operator's token ({@code transcriber.admin.token}, TRANSCRIBER_ADMIN_TOKEN). Unset, the admin routes are
 * closed; set, it must be strong ({@link Secrets}). Compared in constant time.
 */
public final class AdminToken {

    private final ConfiguredSecret token;

    public AdminToken(String token) {
        this.token = new ConfiguredSecret("transcriber.admin.token (TRANSCRIBER_ADMIN_TOKEN)", token);
    }

    public boolean configured() {
        return token.configured();
    }

    public boolean matches(String bearer) {
        return token.matches(bearer);
    }
}
