package dev.chatforge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void failedWriteLeavesNeitherTargetNorTemporaryFile() throws IOException {
        Path target = dir.resolve("out.txt");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
            out.write("half".getBytes());
            throw new IllegalStateException("crash mid-write");
        }));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void failedWriteKeepsThePreviousContent() throws IOException {
        Path target = dir.resolve("out.txt");
        AtomicFiles.writeString(target, "old");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
            throw new IllegalStateException("crash");
        }));
        assertEquals("old", Files.readString(target));
    }

    @Test
    void publishRefusesToReplaceWithoutOverwriteAndReplacesWithIt() throws IOException {
        Path target = dir.resolve("prepared");
        Files.createDirectories(target);
        Files.writeString(target.resolve("mine.txt"), "user data");
        Path tmp = AtomicFiles.newTempDirectory(target);
        Files.writeString(tmp.resolve("new.txt"), "new");
        StageInputException e = assertThrows(StageInputException.class, () -> AtomicFiles.publishDirectory(tmp, target, false));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertTrue(Files.exists(target.resolve("mine.txt")), "the user's folder is untouched");
        AtomicFiles.publishDirectory(tmp, target, true);
        assertTrue(Files.exists(target.resolve("new.txt")));
        assertFalse(Files.exists(target.resolve("mine.txt")));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(1, left.count(), "no temporary or backup folder left behind");
        }
    }

    @Test
    void manifestRoundTripsAndChecksTheStage() {
        Manifest m = Manifest.create("prepare", java.util.List.of(), Json.MAPPER.createObjectNode(),
                Json.MAPPER.createObjectNode().put("kept", 3), java.util.List.of());
        m.writeTo(dir);
        assertEquals(3, Manifest.read(dir, "prepare").stats().get("kept").asInt());
        StageInputException e = assertThrows(StageInputException.class, () -> Manifest.read(dir, "tokenize"));
        assertTrue(e.getMessage().contains("written by stage 'prepare'"), e.getMessage());
        StageInputException missing = assertThrows(StageInputException.class, () -> Manifest.read(dir.resolve("nope"), "prepare"));
        assertTrue(missing.getMessage().contains("chatforge prepare"), missing.getMessage());
    }

    /** prepare and tokenize outputs used to be owner-only (0700) while checkpoints were 0755. */
    @Test
    void aPublishedFolderIsReadableByAllLikeAnyOutput() throws IOException {
        Path target = dir.resolve("prepared");
        Path tmp = AtomicFiles.newTempDirectory(target);
        AtomicFiles.publishDirectory(tmp, target, false);
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(target)));
    }

    /** A kill between renaming the old folder aside and moving the new one in: the old one comes back. */
    @Test
    void anInterruptedReplacementIsUndone() throws IOException {
        Path target = dir.resolve("latest");
        Files.createDirectories(dir.resolve("latest.old-00000000000000000012"));
        Files.writeString(dir.resolve("latest.old-00000000000000000012/weights"), "old");
        Files.createDirectories(dir.resolve("latest.tmp-123"));
        Files.writeString(dir.resolve("latest.tmp-123/weights"), "half");
        Files.writeString(dir.resolve("latest-other.tmp-5"), "another output's");
        AtomicFiles.recoverInterruptedPublish(target);
        assertEquals("old", Files.readString(target.resolve("weights")));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(java.util.List.of("latest", "latest-other.tmp-5"),
                    left.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
