package dev.transcriber.api.keys;

import java.util.UUID;

/**
 * A key was revoked (published once the revocation has committed): what it submitted and still waits is cancelled,
 * so a stolen key's queued jobs and batches do not run on after it.
 */
public record KeyRevoked(UUID keyId) {}
