package dev.transcriber.common.web;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Start-up checks on secrets given by configuration (the admin token, bootstrap API keys): a secret that a person
 * chose ({@code change-me}) or that is too short to resist guessing stops the service from starting, with a message
 * saying how to make a good one.
 */
public final class Secrets {

    /** The least estimated entropy of a configured secret. */
    public static final int MIN_BITS = 128;

    private static final Set<String> PLACEHOLDERS =
            Set.of("change-me", "changeme", "change_me", "replace-me", "example", "password", "secret", "default");

    private Secrets() {}

    /**
     * Throws {@link IllegalStateException} naming {@code setting} when {@code secret} is a placeholder or its
     * estimated entropy (the Shannon entropy of its characters times its length, which does not flatter repeats or
     * small alphabets) is under {@link #MIN_BITS} bits.
     */
    public static void requireStrong(String setting, String secret) {
        String lower = secret.toLowerCase(Locale.ROOT);
        boolean placeholder = PLACEHOLDERS.stream().anyMatch(lower::contains);
        if (placeholder || estimatedBits(secret) < MIN_BITS) {
            throw new IllegalStateException(setting + " is too weak to guard anything ("
                    + (placeholder ? "it is a placeholder" : "about " + (int) estimatedBits(secret) + " bits")
                    + "; at least " + MIN_BITS + " bits are needed). Use a random one, e.g. `openssl rand -hex 32`.");
        }
    }

    /** The Shannon entropy of the characters of {@code secret}, times its length. */
    static double estimatedBits(String secret) {
        Map<Integer, Integer> counts = new HashMap<>();
        secret.codePoints().forEach(c -> counts.merge(c, 1, Integer::sum));
        int length = secret.codePointCount(0, secret.length());
        double perCharacter = 0;
        for (int count : counts.values()) {
            double p = count / (double) length;
            perCharacter -= p * Math.log(p) / Math.log(2);
        }
        return perCharacter * length;
    }
}
