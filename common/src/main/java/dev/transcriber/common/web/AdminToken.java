package dev.transcriber.common.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The operator's token ({@code transcriber.admin.token}, TRANSCRIBER_ADMIN_TOKEN). Unset, the admin routes are
 * closed; set, it must be strong ({@link Secrets}). Compared in constant time.
 */
public final class AdminToken {

    private final byte[] token;

    public AdminToken(String token) {
        if (token == null || token.isBlank()) {
            this.token = null;
        } else {
            Secrets.requireStrong("transcriber.admin.token (TRANSCRIBER_ADMIN_TOKEN)", token.trim());
            this.token = token.trim().getBytes(StandardCharsets.UTF_8);
        }
    }

    public boolean configured() {
        return token != null;
    }

    public boolean matches(String bearer) {
        return token != null && MessageDigest.isEqual(token, bearer.getBytes(StandardCharsets.UTF_8));
    }
}
