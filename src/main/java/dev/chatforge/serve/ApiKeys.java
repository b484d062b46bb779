package dev.chatforge.serve;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The API key check: {@code Authorization: Bearer KEY}. Both sides are hashed first and the
 * digests compared with {@link MessageDigest#isEqual} (constant time), so neither the key's
 * length nor how many leading characters a guess got right shows in the response time.
 */
final class ApiKeys {
    private final byte[] expected;

    ApiKeys(String key) {
        this.expected = key == null ? null : sha256(key);
    }

    boolean required() {
        return expected != null;
    }

    /** Whether the request's Authorization header carries the key (always true when none is required). */
    boolean accepts(String authorization) {
        if (expected == null) {
            return true;
        }
        String given = authorization == null ? "" : authorization.strip();
        String prefix = "Bearer ";
        given = given.regionMatches(true, 0, prefix, 0, prefix.length()) ? given.substring(prefix.length()).strip() : "";
        return MessageDigest.isEqual(expected, sha256(given));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
