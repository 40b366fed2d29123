package dev.transcriber.api.intake;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.store.StoredAudio;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A parsed request: its text fields, and the audio already streamed into the object store with the SHA-256 of its
 * bytes (null when there is none).
 *
 * <p>A field may have several values (the SDKs send an array as {@code include[]=a}, {@code include[]=b}): they are
 * kept separately, in the order they came, under the field's name without a trailing {@code []}, so {@code x[]} and
 * {@code x} are the same field. Other brackets ({@code metadata[key]}, {@code chunking_strategy[type]}) are part of
 * the name.
 */
public record AudioUpload(Map<String, List<String>> values, Optional<StoredAudio> audio, String sha256) {

    public AudioUpload {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        values.forEach((name, list) ->
                copy.computeIfAbsent(canonical(name), n -> new ArrayList<>()).addAll(list));
        copy.replaceAll((name, list) -> List.copyOf(list));
        values = java.util.Collections.unmodifiableMap(copy);
    }

    /** A form whose fields have one value each. */
    public AudioUpload(Map<String, String> fields, Optional<StoredAudio> audio) {
        this(single(fields), audio, null);
    }

    /** A form whose fields have one value each, with the audio's SHA-256. */
    public static AudioUpload of(Map<String, String> fields, Optional<StoredAudio> audio, String sha256) {
        return new AudioUpload(single(fields), audio, sha256);
    }

    private static Map<String, List<String>> single(Map<String, String> fields) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        fields.forEach((name, value) -> values.put(name, List.of(value)));
        return values;
    }

    /** The name a field is kept under: {@code include[]} and {@code include} are the same field. */
    public static String canonical(String name) {
        return name.endsWith("[]") ? name.substring(0, name.length() - 2) : name;
    }

    /**
     * A digest of the request, for {@code Idempotency-Key}: its fields in name order (each value apart) and the
     * file's SHA-256. The same request sent again has the same digest, on the sync and the async endpoint alike.
     */
    public String requestHash() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((new TreeMap<>(hashed()) + "|file:" + sha256).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The fields as the digest reads them: a field of one value as that value, as before fields could have several
     * (so a request sent again across an upgrade keeps its digest), one of several as its list.
     */
    private Map<String, Object> hashed() {
        Map<String, Object> hashed = new LinkedHashMap<>();
        values.forEach((name, list) -> hashed.put(name, list.size() == 1 ? list.getFirst() : list));
        return hashed;
    }

    /** Every field by name with its first value (for fields that take one value each, such as metadata). */
    public Map<String, String> fields() {
        Map<String, String> first = new LinkedHashMap<>();
        values.forEach((name, list) -> {
            if (!list.isEmpty()) {
                first.put(name, list.getFirst());
            }
        });
        return first;
    }

    /**
     * The value of a field that takes one (trimmed; null when absent or blank). The same field given twice is a
     * mistake that is refused rather than guessed at.
     */
    public String field(String name) {
        List<String> list = values.getOrDefault(canonical(name), List.of());
        if (list.size() > 1) {
            throw ApiException.invalidRequest("Expected one value for '" + name + "', got " + list.size() + ".", name);
        }
        String value = list.isEmpty() ? null : list.getFirst();
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Every value of a field that takes several ({@code x[]} or {@code x}), in the order sent; empty when absent. */
    public List<String> list(String name) {
        return values.getOrDefault(canonical(name), List.of());
    }

    /** Whether the field was sent at all (under either spelling). */
    public boolean has(String name) {
        return values.containsKey(canonical(name));
    }

    /** The fields whose name starts with {@code prefix}, by name, with their values. */
    public Map<String, List<String>> withPrefix(String prefix) {
        Map<String, List<String>> found = new LinkedHashMap<>();
        values.forEach((name, list) -> {
            if (name.startsWith(prefix)) {
                found.put(name, list);
            }
        });
        return found;
    }

    /** A caller's text as an error message may quote it: its first 64 characters. */
    static String abbreviated(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "...";
    }
}
