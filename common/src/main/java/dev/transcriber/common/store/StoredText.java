package dev.transcriber.common.store;

/**
 * Text from outside this system (an upstream's error message, a webhook receiver's answer, a speaker label an
 * upstream chose) made fit for a row: PostgreSQL stores no NUL character (a write carrying one fails, and a write that
 * keeps failing can loop its job or delivery), and a column read on every look at its row should not carry megabytes.
 */
public final class StoredText {

    /** What a message is cut to: enough for any diagnosis, small enough for every list that shows it. */
    public static final int MESSAGE_CHARS = 2000;

    private StoredText() {}

    /** {@code text} without NUL characters, cut to {@code maxChars} (ending in "..." when cut); null stays null. */
    public static String of(String text, int maxChars) {
        if (text == null) {
            return null;
        }
        String kept = text.indexOf('\0') >= 0 ? text.replace("\0", "") : text;
        if (kept.length() <= maxChars) {
            return kept;
        }
        if (maxChars < 3) {
            return kept.substring(0, Math.max(0, maxChars));
        }
        int end = maxChars - 3;
        if (end > 0 && Character.isHighSurrogate(kept.charAt(end - 1))) {
            end--; // never half a character
        }
        return kept.substring(0, Math.max(0, end)) + "...";
    }

    /**
     * {@code label} without its control characters (a caller's file name, an archive entry's): kept as a label, not
     * refused; null stays null.
     */
    public static String withoutControls(String label) {
        if (label == null || label.chars().noneMatch(Character::isISOControl)) {
            return label;
        }
        return label.chars()
                .filter(c -> !Character.isISOControl(c))
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }

    /** A message: {@link #of(String, int)} with {@link #MESSAGE_CHARS}. */
    public static String message(String text) {
        return of(text, MESSAGE_CHARS);
    }
}
