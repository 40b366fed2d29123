package dev.transcriber.common.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * A bearer secret taken from a setting: unset, it matches nothing; set, it must be strong ({@link Secrets}). Compared
 * in constant time.
 */
final class ConfiguredSecret {

    private final byte[] secret;

    /** {@code setting} names where it comes from, for the start-up refusal of a weak one. */
    ConfiguredSecret(String setting, String value) {
        if (value == null || value.isBlank()) {
            this.secret = null;
        } else {
            Secrets.requireStrong(setting, value.trim());
            this.secret = value.trim().getBytes(StandardCharsets.UTF_8);
        }
    }

    boolean configured() {
        return secret != null;
    }

    boolean matches(String bearer) {
        return secret != null && MessageDigest.isEqual(secret, bearer.getBytes(StandardCharsets.UTF_8));
    }

    /** The secret itself, for the one who sends it; null when unset. */
    String value() {
        return secret == null ? null : new String(secret, StandardCharsets.UTF_8);
    }
}
