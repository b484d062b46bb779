package dev.chatforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.RunLock;
import dev.chatforge.io.RunLockHolder;
import dev.chatforge.io.StageInputException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run does to the folders a user already has: nothing is lost, whatever the flags, a
 * failure or a kill. Each test holds one of the data-loss cases found by trying chatforge as a
 * hostile user would.
 */
class TrainingRunTest {
    @TempDir
    Path dir;

    /** The CLI with TrainStageTest's tiny config (a 2-layer model, 40 steps, checkpoints at 20 and 40). */
    private Object[] train(String... more) throws Exception {
        Path config = dir.resolve("c.yaml");
        if (!Files.exists(config)) {
            TrainStageTest.config(dir, "");
        }
        String[] args = Stream.concat(Stream.of("train", "--config", config.toString()), Stream.of(more))
                .toArray(String[]::new);
        return TrainStageTest.run(args);
    }

    private static List<String> listing(Path folder) throws Exception {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.map(p -> folder.relativize(p) + (Files.isRegularFile(p) ? " " + Hashing.sha256(p) : "")).sorted()
                    .toList();
        }
    }

    @Test
    void forceWithARunThatFailsKeepsTheOldRun() throws Exception {
        assertEquals(0, train("--set", "train.max_steps=20")[0]);
        Path run = dir.resolve("run");
        List<String> before = listing(run);
        // No GPU here: the run fails before its first step. It used to delete the old run first.
        Object[] gpu = train("--set", "train.device=gpu", "--force");
        assertEquals(2, gpu[0], (String) gpu[1]);
        assertEquals(before, listing(run));
        // A run that fails after the model is built (a window longer than the model's context) too.
        Object[] failing = train("--set", "train.block_size=8000", "--force");
        assertEquals(1, failing[0], (String) failing[1]);
        assertEquals(before, listing(run));
        assertEquals(List.of("run.lock"), besideTheRun(), "nothing left beside the run but its (free) lock file");
    }

    private List<String> besideTheRun() throws Exception {
        try (Stream<Path> siblings = Files.list(dir)) {
            return siblings.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("run.")).sorted().toList();
        }
    }

    @Test
    void forceReplacesTheOldRunOnlyAtTheNewRunsFirstCheckpoint() throws Exception {
        assertEquals(0, train("--set", "train.max_steps=20", "--set", "train.seed=1")[0]);
        Path run = dir.resolve("run");
        String oldWeights = Hashing.sha256(run.resolve("latest/model.safetensors"));
        TrainConfig config = dev.chatforge.config.ConfigFile.load(dir.resolve("c.yaml"), List.of("train.max_steps=20"))
                .section("train", TrainConfig.class, TrainConfig.defaults());
        try (TrainingRun replacing = TrainingRun.open("train", run, config.training(), true, List.of(config.data()), null)) {
            assertNotEquals(run, replacing.folder().dir(), "the new run is written beside the old one");
            assertEquals(oldWeights, Hashing.sha256(run.resolve("latest/model.safetensors")), "old run still there");
            replacing.begin(null, config.modelConfig(64), device -> dev.chatforge.model.GPT2.create(
                    config.modelConfig(64), device, 1), state -> {});
            // ... and the new run fails before its first checkpoint
        }
        assertEquals(oldWeights, Hashing.sha256(run.resolve("latest/model.safetensors")));
        assertEquals(List.of("run.lock"), besideTheRun(), "the unpublished new run is removed");
        assertTrue(Files.exists(run.resolve("latest/model.safetensors")));
        assertEquals(0, train("--set", "train.max_steps=20", "--force")[0]);
        assertNotEquals(oldWeights, Hashing.sha256(run.resolve("latest/model.safetensors")), "seed 1337 now, not 1");
        assertEquals(20, TrainerState.read(run.resolve("latest")).step());
    }

    @Test
    void forceReplacesWhatChatforgeWroteInARunFolderButNeverAUsersFile() throws Exception {
        assertEquals(0, train("--set", "train.max_steps=20")[0]);
        Path run = dir.resolve("run");
        // what eval and report put into a run folder is chatforge's: --force replaces it with the run
        Files.writeString(run.resolve("eval-support.json"), "{\"checkpoint\": \"x\"}\n");
        Files.createFile(run.resolve("eval-support.json.lock"));
        Files.createDirectories(run.resolve("report"));
        Files.writeString(run.resolve("notes.txt"), "my notes\n");
        List<String> before = listing(run);
        Object[] refused = train("--set", "train.max_steps=20", "--set", "train.seed=2", "--force");
        assertEquals(1, refused[0], (String) refused[1]);
        assertTrue(((String) refused[1]).contains("notes.txt"), (String) refused[1]);
        assertEquals(before, listing(run), "nothing replaced");
        Files.delete(run.resolve("notes.txt"));
        assertEquals(0, train("--set", "train.max_steps=20", "--set", "train.seed=2", "--force")[0]);
        assertFalse(Files.exists(run.resolve("eval-support.json")), "the old run's report went with it");
        // a file where the run folder would be is a user's too
        Path file = dir.resolve("run-file");
        Files.writeString(file, "mine");
        Object[] onFile = train("--set", "train.max_steps=20", "--set", "train.output=" + file, "--force");
        assertEquals(1, onFile[0], (String) onFile[1]);
        assertEquals("mine", Files.readString(file));
    }

    @Test
    void anOutputThatIsHoldsOrLiesInsideTheDataIsRefusedEvenWithForce() throws Exception {
        assertEquals(0, train("--set", "train.max_steps=2")[0]);
        Path data = dir.resolve("tokens");
        List<String> before = listing(data);
        for (Path output : List.of(data, data.resolve("run"), dir)) {
            Object[] r = train("--set", "train.output=" + output, "--force");
            assertEquals(1, r[0], (String) r[1]);
            assertTrue(((String) r[1]).contains("which train reads"), (String) r[1]);
        }
        assertEquals(before, listing(data));
    }

    @Test
    void aSecondRunIntoTheSameFolderIsRefusedWhileTheFirstHoldsIt() throws Exception {
        Path run = dir.resolve("run");
        Process holder = RunLockHolder.start(run);
        try {
            Object[] second = train();
            assertEquals(1, second[0], (String) second[1]);
            assertTrue(((String) second[1]).contains("in use by another run (pid " + holder.pid()), (String) second[1]);
            assertFalse(Files.exists(run), "the second run wrote nothing");

            // Killed with SIGKILL, the holder leaves its lock file; the next run takes it over and says so.
            holder.destroyForcibly().waitFor();
            assertTrue(Files.readString(RunLock.fileOf(run)).contains("pid " + holder.pid()));
            Object[] next = train("--set", "train.max_steps=2");
            assertEquals(0, next[0], (String) next[1]);
            assertTrue(((String) next[1]).contains("taking over the lock left by pid " + holder.pid()), (String) next[1]);
            assertEquals("", Files.readString(RunLock.fileOf(run)), "released at the end");
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void twoRunsInOneProcessAreRefusedToo() throws Exception {
        Path run = dir.resolve("run");
        TrainingSettings settings = TrainConfig.defaults().training();
        try (TrainingRun first = TrainingRun.open("train", run, settings, false, List.of(), null)) {
            StageInputException e = assertThrows(StageInputException.class,
                    () -> TrainingRun.open("train", run, settings, false, List.of(), null));
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
        }
        TrainingRun.open("train", run, settings, false, List.of(), null).close();
    }

    /** A link to a run folder is the same folder: one lock, whichever name a run is given. */
    @Test
    void aLinkToTheRunFolderSharesItsLock() throws Exception {
        Path run = Files.createDirectories(dir.resolve("real/run"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), run);
        Path viaParent = Files.createSymbolicLink(dir.resolve("alias"), dir.resolve("real")).resolve("run");
        TrainingSettings settings = TrainConfig.defaults().training();
        try (TrainingRun first = TrainingRun.open("train", run, settings, false, List.of(), null)) {
            for (Path other : List.of(link, viaParent)) {
                StageInputException e = assertThrows(StageInputException.class,
                        () -> TrainingRun.open("train", other, settings, false, List.of(), null));
                assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            }
        }
        assertEquals(RunLock.fileOf(run), RunLock.fileOf(link));
    }

    /** Killed between saving latest/ (the new best step) and copying it to best/: the rerun repairs best/. */
    @Test
    void aStaleBestIsRepairedBeforeTheManifestNamesIt() throws Exception {
        assertEquals(0, train("--set", "train.max_steps=20", "--set", "train.lr_decay_steps=40")[0]);
        Path run = dir.resolve("run");
        Path best20 = dir.resolve("best-20");
        copyFolder(run.resolve("best"), best20);
        assertEquals(0, train()[0]);
        assertEquals(40, TrainerState.read(run.resolve("latest")).bestStep(), "the loss still falls at step 40");
        // What a kill after publishing latest/ at step 40 and before copying best/ leaves:
        AtomicFiles.deleteRecursively(run.resolve("best"));
        copyFolder(best20, run.resolve("best"));
        Files.writeString(run.resolve("best.tmp-123"), "an unfinished copy");
        Files.writeString(run.resolve("loss.png.tmp-4242-99"), "a chart killed mid-write");
        Files.writeString(run.resolve("manifest.json.tmp-4242-98"), "{");

        Object[] again = train();
        assertEquals(0, again[0], (String) again[1]);
        assertTrue(((String) again[1]).contains("copied latest/ to best/"), (String) again[1]);
        assertEquals(40, TrainerState.read(run.resolve("best")).step());
        assertEquals(Hashing.sha256(run.resolve("latest/model.safetensors")),
                Hashing.sha256(run.resolve("best/model.safetensors")));
        assertTrue(Files.isSameFile(run.resolve("latest/model.safetensors"), run.resolve("best/model.safetensors")),
                "best/ shares latest/'s weights (a hard link), not a second copy");
        Manifest manifest = Manifest.read(run, "train");
        assertEquals(40, manifest.stats().path("best_step").asLong());
        assertTrue(manifest.outputs().stream().anyMatch(e -> e.path().equals("best/model.safetensors")
                && e.sha256().equals(Hashing.sha256(run.resolve("best/model.safetensors")))));
        assertFalse(Files.exists(run.resolve("best.tmp-123")), "temporary leftovers of killed saves are removed");
        assertFalse(Files.exists(run.resolve("loss.png.tmp-4242-99")), "a chart killed mid-write is removed");
        assertFalse(Files.exists(run.resolve("manifest.json.tmp-4242-98")), "any published file's leftover is removed");
    }

    @Test
    void aResumeWithChangedSettingsIsRefusedNamingEachKeyUnlessAccepted() throws Exception {
        // The schedule is 40 steps long (lr_decay_steps), this run stops at 20: a resume may go on to 40.
        assertEquals(0, train("--set", "train.max_steps=20", "--set", "train.lr_decay_steps=40")[0]);
        Path run = dir.resolve("run");
        List<String> before = listing(run);
        Object[] changed = train("--set", "train.lr_decay_steps=40", "--set", "train.learning_rate=0.5",
                "--set", "train.batch_size=4", "--set", "train.seed=7");
        String err = (String) changed[1];
        assertEquals(2, changed[0], err);
        assertTrue(err.contains("learning_rate 0.01 → 0.5") && err.contains("batch_size 8 → 4") && err.contains("seed 1337 → 7"),
                err);
        assertTrue(err.contains("resume_changes=accept") && err.contains("--force"), err);
        assertEquals(before, listing(run), "a refused resume changes nothing");

        Object[] accepted = train("--set", "train.lr_decay_steps=40", "--set", "train.learning_rate=0.02",
                "--set", "train.resume_changes=accept");
        assertEquals(0, accepted[0], (String) accepted[1]);
        assertTrue(((String) accepted[1]).contains("learning_rate 0.01 → 0.02"), (String) accepted[1]);
        List<String> metrics = Files.readAllLines(run.resolve(MetricsLog.FILE_NAME));
        assertTrue(metrics.stream().anyMatch(l -> l.startsWith("{\"step\":20,\"resume_changes\":")
                && l.contains("\"learning_rate\":{\"from\":0.01,\"to\":0.02}")), String.join("\n", metrics));
        Manifest manifest = Manifest.read(run, "train");
        assertEquals("learning_rate", manifest.stats().path("resume_changes").path(0).path("key").asText(),
                manifest.stats().toString());
        assertEquals(20, manifest.stats().path("resume_changes").path(0).path("step").asLong());
    }

    @Test
    void extendingMaxStepsWhenTheScheduleEndsThereIsAScheduleChange() throws Exception {
        assertEquals(0, train("--set", "train.max_steps=20")[0]);
        Object[] longer = train(); // max_steps 40: the cosine would be stretched from 20 to 40 steps
        String err = (String) longer[1];
        assertEquals(2, longer[0], err);
        assertTrue(err.contains("lr_decay_steps (max_steps) 20 → 40") && err.contains("train.lr_decay_steps=20"), err);
    }

    @Test
    void aModelShapeOrDropoutChangeNamesTheKeyAndBothValues() throws Exception {
        assertEquals(0, train("--set", "train.max_steps=20")[0]);
        Object[] wider = train("--set", "train.max_steps=20", "--set", "train.n_embd=64", "--set", "train.block_size=8");
        String err = (String) wider[1];
        assertEquals(1, wider[0], err);
        assertTrue(err.contains("n_embd 32 → 64") && err.contains("block_size 16 → 8"), err);
        assertFalse(err.contains("GPT2Config["), err);
        Object[] dropout = train("--set", "train.max_steps=30", "--set", "train.lr_decay_steps=20",
                "--set", "train.dropout=0.1");
        err = (String) dropout[1];
        assertEquals(2, dropout[0], err);
        assertTrue(err.contains("dropout 0.0 → 0.1"), err);
        assertFalse(err.contains("GPT2Config["), err);
    }

    private static void copyFolder(Path source, Path target) throws Exception {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        }
    }
}
