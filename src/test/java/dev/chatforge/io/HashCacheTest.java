package dev.chatforge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HashCacheTest {
    @TempDir
    Path dir;

    @Test
    void aRewrittenFileIsHashedAgainEvenAtTheSameSize() throws Exception {
        HashCache cache = new HashCache(dir.resolve("cache"), 0);
        Path file = Files.writeString(dir.resolve("train.bin"), "aaaa");
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        assertEquals(Hashing.sha256(file), cache.hash(file));
        assertEquals(1, Files.list(dir.resolve("cache")).count(), "a large-enough file gets an entry");

        Files.writeString(file, "bbbb"); // same size, a new modification time
        assertEquals(Hashing.sha256(file), cache.hash(file));
        assertNotEquals(Hashing.sha256("aaaa".getBytes()), cache.hash(file));
    }

    @Test
    void smallFilesAndAnUnwritableCacheAreHashedDirectly() throws Exception {
        Path file = Files.writeString(dir.resolve("small.bin"), "abc");
        assertEquals(Hashing.sha256(file), new HashCache(dir.resolve("cache"), 1 << 20).hash(file));
        assertEquals(false, Files.exists(dir.resolve("cache")));
        Path blocked = Files.writeString(dir.resolve("not-a-folder"), "");
        assertEquals(Hashing.sha256(file), new HashCache(blocked.resolve("cache"), 0).hash(file));
    }
}
