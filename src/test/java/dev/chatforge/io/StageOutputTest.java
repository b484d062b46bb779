package dev.chatforge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle every stage's output goes through: what it refuses, what it keeps, what it cleans. */
class StageOutputTest {
    @TempDir
    Path dir;

    private StageOutput.Spec models(Path out) {
        return StageOutput.folder("export", out).owns("config.json", "model-*-of-*.safetensors");
    }

    private List<String> beside(String prefix) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
        }
    }

    private void writeOutput(StageOutput out, String config) throws Exception {
        Files.writeString(out.path().resolve("config.json"), config);
        Files.writeString(out.path().resolve("model-00001-of-00002.safetensors"), "w1");
    }

    @Test
    void theOldOutputStaysUntilTheNewOneIsCommittedAndAFailedRunLeavesItAsItWas() throws Exception {
        Path out = dir.resolve("model");
        try (StageOutput first = models(out).open()) {
            writeOutput(first, "first");
            assertFalse(Files.exists(out), "nothing under the name before the commit");
            first.commit();
        }
        assertEquals("first", Files.readString(out.resolve("config.json")));
        try (StageOutput failing = models(out).force(true).open()) {
            writeOutput(failing, "second");
            assertEquals("first", Files.readString(out.resolve("config.json")), "replaced only at the commit");
            // ... and the run fails here
        }
        assertEquals("first", Files.readString(out.resolve("config.json")));
        assertEquals(List.of("model", "model.lock"), beside("model"));
        try (StageOutput second = models(out).force(true).open()) {
            writeOutput(second, "second");
            second.commit();
        }
        assertEquals("second", Files.readString(out.resolve("config.json")));
        assertEquals(List.of("model", "model.lock"), beside("model"));
    }

    @Test
    void aFileAUserAddsDuringTheRunIsNotDeletedByTheSwap() throws Exception {
        Path out = dir.resolve("model");
        try (StageOutput first = models(out).open()) {
            writeOutput(first, "first");
            first.commit();
        }
        try (StageOutput second = models(out).force(true).open()) {
            writeOutput(second, "second");
            Files.writeString(out.resolve("notes.txt"), "written while the run worked");
            StageInputException e = assertThrows(StageInputException.class, second::commit);
            assertTrue(e.getMessage().startsWith(out + ": holds notes.txt, which export did not write"), e.getMessage());
        }
        assertEquals("first", Files.readString(out.resolve("config.json")));
        assertEquals("written while the run worked", Files.readString(out.resolve("notes.txt")));
    }

    @Test
    void aKillBetweenTheTwoRenamesOfASwapIsUndoneAtTheNextOpen() throws Exception {
        Path out = dir.resolve("model");
        // What a kill right after the old output was renamed aside leaves: no output, the old one aside, the new one half-done.
        Files.createDirectories(dir.resolve("model.old-00000000000000000042"));
        Files.writeString(dir.resolve("model.old-00000000000000000042/config.json"), "old");
        Files.createDirectories(dir.resolve("model.tmp-99"));
        StageInputException e = assertThrows(StageInputException.class, () -> models(out).open());
        assertEquals(out + ": already exists; pass --force (or set overwrite: true) to replace it", e.getMessage());
        assertEquals("old", Files.readString(out.resolve("config.json")));
        assertEquals(List.of("model", "model.lock"), beside("model"));
    }

    @Test
    void aSecondOpenOfTheSameOutputIsRefusedWhileTheFirstHoldsIt() throws Exception {
        Path out = dir.resolve("model");
        try (StageOutput first = models(out).open()) {
            StageInputException e = assertThrows(StageInputException.class, () -> models(out).force(true).open());
            assertTrue(e.getMessage().contains("in use by another run (pid " + ProcessHandle.current().pid()), e.getMessage());
        }
        models(out).open().close();
    }

    @Test
    void anEmptyFolderIsNoOutputAndAFileOutputReplacesOnlyWhatItRecognizes() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        try (StageOutput out = models(empty).open()) {
            writeOutput(out, "new");
            out.commit();
        }
        Path report = dir.resolve("report.json");
        Files.writeString(report, "someone else's");
        StageOutput.Spec spec = StageOutput.file("eval", report).recognizedBy(p -> false, "an eval report").force(true);
        StageInputException e = assertThrows(StageInputException.class, spec::open);
        assertTrue(e.getMessage().startsWith(report + ": exists and is not an eval report"), e.getMessage());
        Files.writeString(report, "ours");
        try (StageOutput out = StageOutput.file("eval", report).recognizedBy(p -> true, "an eval report").force(true).open()) {
            Files.writeString(out.path(), "new report");
            assertEquals("ours", Files.readString(report));
            out.commit();
        }
        assertEquals("new report", Files.readString(report));
    }

    @Test
    void anOutputThatIsHoldsOrLiesInAnInputIsRefusedWithBothPaths() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data/raw"));
        for (Path out : List.of(data, dir.resolve("data"), data.resolve("prepared"))) {
            StageInputException e = assertThrows(StageInputException.class,
                    () -> models(out).reads(data).force(true).open());
            assertTrue(e.getMessage().startsWith(out + ": the output ") && e.getMessage().contains(" " + data + ", which export reads"),
                    e.getMessage());
        }
        // A link to an input is that input.
        Path link = Files.createSymbolicLink(dir.resolve("link"), data);
        assertThrows(StageInputException.class, () -> models(link).reads(data).force(true).open());
    }
}
