package dev.transcriber.common.transcript;

import java.util.List;

/** Where the tokens of {@code include[]=logprobs} lie in a text, so they can follow the text when it is cut or joined. */
public final class Logprobs {

    private Logprobs() {}

    /** The number of words (runs of non-whitespace) in {@code text}. */
    public static int wordCount(String text) {
        String stripped = text == null ? "" : text.strip();
        return stripped.isEmpty() ? 0 : stripped.split("\\s+").length;
    }

    /**
     * For each token, the word of {@code text} its first non-whitespace character is in (a token of whitespace only
     * goes with the word before it, or the first); null when the tokens do not spell the text in order (then they
     * cannot be placed, and whoever cuts keeps them whole). Whitespace is ignored on both sides, so a token {@code " see"}
     * starts a word and {@code ","} stays with the word before.
     */
    public static int[] wordIndices(String text, List<Logprob> tokens) {
        if (text == null || tokens == null) {
            return null;
        }
        int[] at = new int[tokens.size()];
        int pos = 0;
        int word = -1;
        boolean inWord = false;
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i).token();
            if (token == null) {
                return null;
            }
            int first = -1;
            for (int k = 0; k < token.length(); k++) {
                char c = token.charAt(k);
                if (Character.isWhitespace(c)) {
                    continue;
                }
                while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                    pos++;
                    inWord = false;
                }
                if (pos >= text.length() || text.charAt(pos) != c) {
                    return null;
                }
                if (!inWord) {
                    word++;
                    inWord = true;
                }
                if (first < 0) {
                    first = word;
                }
                pos++;
            }
            at[i] = first >= 0 ? first : Math.max(word, 0);
        }
        return at;
    }

    /**
     * How many of {@code tokens} (placed in {@code text} by {@link #wordIndices}) lie in its first {@code words}
     * words; all of them when they cannot be placed and {@code words} covers the whole text, none otherwise.
     */
    public static int tokensWithin(String text, List<Logprob> tokens, int words) {
        int[] at = wordIndices(text, tokens);
        if (at == null) {
            return words >= wordCount(text) ? tokens.size() : 0;
        }
        int n = 0;
        while (n < at.length && at[n] < words) {
            n++;
        }
        return n;
    }
}
