package dev.transcriber.api.keys;

import java.util.Objects;
import java.util.UUID;

/**
 * Whose jobs and batches a request sees: one key's (a caller on {@code /v1}, who sees only what its key made) or
 * every key's (the operator, on {@code /admin}). Queries and commands take a scope rather than a caller, so the
 * operator's routes run the same code as the callers'.
 */
public record Scope(Caller caller) {

    /** The operator's scope: every key's jobs and batches. */
    public static final Scope EVERY_KEY = new Scope(null);

    public static Scope of(Caller caller) {
        return new Scope(Objects.requireNonNull(caller, "caller"));
    }

    /** True for the operator's scope. */
    public boolean everyKey() {
        return caller == null;
    }

    /** The key this scope is limited to; null for every key. */
    public UUID keyId() {
        return caller == null ? null : caller.keyId();
    }

    /** Whether something owned by {@code owner} is visible in this scope. */
    public boolean sees(UUID owner) {
        return caller == null || Objects.equals(caller.keyId(), owner);
    }

    /** The owner's key id as the operator's views show it ({@code key_id}); null in a caller's scope. */
    public String shownKey(UUID owner) {
        return caller == null && owner != null ? owner.toString() : null;
    }
}
