package dev.chatforge.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * SHA-256 of files that a stage checks against a manifest each time it opens them, remembered
 * for large files by (real path, size, modification time, inode): a 10 GB train.bin is hashed
 * once, not at every train, eval and finetune start. Any rewrite of the file (same size or not)
 * changes its modification time and so misses the cache; only a deliberate reset of the time
 * ({@code touch -r}, {@code cp -p} of another file) could fool it, as it would fool make or rsync.
 * Entries are one small file each under {@code $CHATFORGE_CACHE} (default
 * {@code $XDG_CACHE_HOME/chatforge} or {@code ~/.cache/chatforge}), {@code sha256/}; a cache
 * that cannot be written is skipped, never an error.
 */
public final class HashCache {
    /** Below this, hashing costs well under a second (SHA-256 runs at hundreds of MB/s): no entry. */
    static final long MIN_CACHED_BYTES = 64L << 20;

    private static final HashCache DEFAULT = new HashCache(defaultDir(), MIN_CACHED_BYTES);

    private final Path dir;
    private final long minBytes;

    HashCache(Path dir, long minBytes) {
        this.dir = dir;
        this.minBytes = minBytes;
    }

    /** A cache kept in {@code dir} (for the bench, which must not touch the user's). */
    public static HashCache in(Path dir) {
        return new HashCache(dir, MIN_CACHED_BYTES);
    }

    /** The SHA-256 of {@code file}, from the cache when the file has not changed since it was hashed. */
    public static String sha256(Path file) {
        return DEFAULT.hash(file);
    }

    public String hash(Path file) {
        BasicFileAttributes attributes;
        Path real;
        try {
            real = file.toRealPath();
            attributes = Files.readAttributes(real, BasicFileAttributes.class);
        } catch (IOException e) {
            return Hashing.sha256(file); // reports the file's problem as hashing it would
        }
        if (dir == null || attributes.size() < minBytes) {
            return Hashing.sha256(file);
        }
        String key = real + "\n" + attributes.size() + "\n" + attributes.lastModifiedTime().toInstant() + "\n"
                + attributes.fileKey();
        Path entry = dir.resolve(Hashing.sha256(key.getBytes(StandardCharsets.UTF_8)));
        try {
            String cached = Files.readString(entry, StandardCharsets.US_ASCII).strip();
            if (cached.matches("[0-9a-f]{64}")) {
                return cached;
            }
        } catch (IOException e) {
            // not cached yet
        }
        String digest = Hashing.sha256(file);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "entry", ".tmp");
            Files.writeString(tmp, digest + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, entry, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            // a read-only home or a full disk: the next start hashes again
        }
        return digest;
    }

    private static Path defaultDir() {
        String own = System.getenv("CHATFORGE_CACHE");
        if (own != null && !own.isBlank()) {
            return Path.of(own).resolve("sha256");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "chatforge", "sha256");
        }
        String home = System.getProperty("user.home");
        return home == null ? null : Path.of(home, ".cache", "chatforge", "sha256");
    }
}
