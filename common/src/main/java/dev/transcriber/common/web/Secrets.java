package dev.transcriber.common.web;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks on secrets: the admin token and bootstrap API keys at start-up (a weak one stops the service, with a message
 * saying how to make a good one), and every bearer key before it is looked up (a weak one is never a key).
 *
 * <p>The estimate is the secret's length, not counting separators ({@code - _ . : =}), times the bits of the
 * smallest usual alphabet that holds all its characters (hex 4, lower-case letters and digits 5.2, letters and
 * digits 5.95, base64 6, any printable 6.55; padded base64 is taken as base64). So {@code openssl rand -hex 16}
 * gives exactly 128 bits, and base64 of 16 random bytes 132. Chosen secrets are refused by their structure whatever
 * their length: a placeholder word, fewer than 8 distinct characters, a run of 8 consecutive letters or digits, 6
 * letter keys of a keyboard row, or a 5-character piece that occurs 3 times. A random secret is refused by these rules
 * about once in 10^7.
 */
public final class Secrets {

    /** The least estimated entropy of a secret. */
    public static final int MIN_BITS = 128;

    private static final Set<String> PLACEHOLDERS =
            Set.of("change-me", "changeme", "change_me", "replace-me", "replaceme", "example", "password", "secret");
    private static final String SEPARATORS = "-_.:=";
    private static final String[] KEYBOARD_ROWS = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};

    private Secrets() {}

    /** Throws {@link IllegalStateException} naming {@code setting} when {@code secret} is weak. */
    public static void requireStrong(String setting, String secret) {
        String why = weakness(secret);
        if (why != null) {
            throw new IllegalStateException(setting + " is too weak to guard anything (" + why + "; at least "
                    + MIN_BITS + " bits of randomness are needed). Use a random one, e.g. `openssl rand -hex 32`.");
        }
    }

    public static boolean isStrong(String secret) {
        return weakness(secret) == null;
    }

    /** Why {@code secret} is weak, or null when it is not. */
    static String weakness(String secret) {
        String lower = secret.toLowerCase(Locale.ROOT);
        if (PLACEHOLDERS.stream().anyMatch(lower::contains)) {
            return "it is a placeholder";
        }
        if (lower.chars().distinct().count() < 8) {
            return "it has fewer than 8 distinct characters";
        }
        if (hasRun(lower)) {
            return "it has a run of consecutive characters or keyboard keys";
        }
        if (hasRepeatedPiece(lower)) {
            return "it repeats itself";
        }
        double bits = estimatedBits(secret);
        if (bits < MIN_BITS) {
            return "about " + (int) bits + " bits";
        }
        return null;
    }

    static double estimatedBits(String secret) {
        int length = 0;
        boolean hex = true;
        boolean lowerAlnum = true;
        boolean alnum = true;
        boolean base64 = true;
        for (char c : secret.toCharArray()) {
            if (SEPARATORS.indexOf(c) >= 0) {
                continue;
            }
            length++;
            boolean digit = c >= '0' && c <= '9';
            boolean lowerLetter = c >= 'a' && c <= 'z';
            boolean letter = lowerLetter || (c >= 'A' && c <= 'Z');
            hex &= digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            lowerAlnum &= digit || lowerLetter;
            alnum &= digit || letter;
            base64 &= digit || letter || c == '+' || c == '/';
        }
        // Base64 with its padding says what it is: 6 bits a character, even when its random characters happen to
        // fall in a smaller alphabet (those of 16 random bytes are all lower-case letters and digits once in 300,000).
        boolean padded = secret.length() % 4 == 0 && secret.matches("[A-Za-z0-9+/]+={1,2}");
        double perCharacter = padded ? 6 : hex ? 4 : lowerAlnum ? log2(36) : alnum ? log2(62) : base64 ? 6 : log2(95);
        return length * perCharacter;
    }

    private static boolean hasRun(String lower) {
        int up = 1;
        int down = 1;
        for (int i = 1; i < lower.length(); i++) {
            up = lower.charAt(i) == lower.charAt(i - 1) + 1 ? up + 1 : 1;
            down = lower.charAt(i) == lower.charAt(i - 1) - 1 ? down + 1 : 1;
            if (up >= 8 || down >= 8) {
                return true;
            }
        }
        for (String row : KEYBOARD_ROWS) {
            for (int i = 0; i + 6 <= row.length(); i++) {
                String walk = row.substring(i, i + 6);
                if (lower.contains(walk) || lower.contains(new StringBuilder(walk).reverse())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean hasRepeatedPiece(String lower) {
        Map<String, Integer> counts = new HashMap<>();
        Map<String, Integer> lastAt = new HashMap<>();
        for (int i = 0; i + 5 <= lower.length(); i++) {
            String piece = lower.substring(i, i + 5);
            Integer last = lastAt.get(piece);
            if (last == null || i >= last + 5) { // occurrences that do not overlap
                lastAt.put(piece, i);
                if (counts.merge(piece, 1, Integer::sum) >= 3) {
                    return true;
                }
            }
        }
        return false;
    }

    private static double log2(int n) {
        return Math.log(n) / Math.log(2);
    }
}
