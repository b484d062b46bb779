package dev.chatforge.train;

import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import dev.chatforge.io.StageOutput;
import dev.chatforge.model.GPT2;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout of a run folder (train and finetune), in one place:
 * <pre>
 *   latest/          the last checkpoint, with optimizer state (what resume continues)
 *   best/            the checkpoint of the lowest validation loss (latest's state names its step)
 *   metrics.jsonl    one line per logged step
 *   manifest.json    written when the run ends
 * </pre>
 * and how checkpoints get there. A run that replaces an existing folder ({@code --force}) is
 * written into a temporary sibling that is swapped in at its first checkpoint, so until the new
 * run has something to show the old one stays whole under its name.
 */
public final class RunFolder {
    public static final String LATEST = "latest";
    public static final String BEST = "best";
    /**
     * What chatforge writes into a run folder: the run's own files, and what eval ({@code eval*.json}
     * with its {@code answers*.jsonl}) and report (its default {@code report/}) put there, each with
     * its {@code .lock}. A {@code --force} run replaces a folder holding only these, never one with
     * anything else (a user's notes): see {@link #refuseForeign}.
     */
    static final List<String> WRITTEN_BY_CHATFORGE = List.of(LATEST, BEST, MetricsLog.FILE_NAME, Manifest.FILE_NAME,
            "loss.png", "eval*.json", "answers*.jsonl", "report", "*.lock");

    private final Path target;
    private final Path tokenizerFile;
    private Path dir;

    private RunFolder(Path target, Path dir, Path tokenizerFile) {
        this.target = target;
        this.dir = dir;
        this.tokenizerFile = tokenizerFile;
    }

    /** Checkpoints go straight into {@code dir}; {@code tokenizerFile} (may be null) is copied into each. */
    public static RunFolder at(Path dir, Path tokenizerFile) {
        return new RunFolder(dir, dir, tokenizerFile);
    }

    /** A new run for {@code target}, built beside it and swapped in at its first checkpoint. */
    static RunFolder replacing(Path target, Path tokenizerFile) {
        return new RunFolder(target, AtomicFiles.newTempDirectory(target), tokenizerFile);
    }

    /** Where the run writes now (the temporary sibling until a replacing run's first checkpoint). */
    public Path dir() {
        return dir;
    }

    public Path latest() {
        return dir.resolve(LATEST);
    }

    public Path best() {
        return dir.resolve(BEST);
    }

    /** The tokenizer.json copied into every checkpoint (null: none, tests only). */
    public Path tokenizerFile() {
        return tokenizerFile;
    }

    public Path metricsFile() {
        return dir.resolve(MetricsLog.FILE_NAME);
    }

    /** Whether this run still waits to replace an existing folder (nothing published yet). */
    boolean staged() {
        return !dir.equals(target);
    }

    /**
     * Saves latest/ and then, when the validation loss improved, best/ (in that order: a kill in
     * between leaves latest's state naming a best step that {@link #repairBest} restores); the
     * first checkpoint of a replacing run then swaps the new folder in for the old.
     */
    public void publish(GPT2 model, AdamW optimizer, TrainerState state, boolean improved) {
        Checkpoint.save(latest(), model, optimizer, state, tokenizerFile, metricsFile());
        if (improved) {
            Checkpoint.copyWithoutOptimizer(latest(), best());
        }
        if (staged()) {
            if (Files.isDirectory(target)) {
                refuseForeign("the new run", target); // again: a file may have come while this run trained
            }
            AtomicFiles.publishDirectory(dir, target, true);
            dir = target;
            System.err.println("\nreplaced the previous run in " + target + " with this one");
        }
    }

    /**
     * Makes best/ hold the checkpoint latest's state names as best. A kill between saving latest/
     * and copying best/ leaves best/ a step behind while latest/ is that best step: copy it over.
     * Otherwise (best/ lost or edited by hand) the state is corrected to what best/ holds.
     */
    void repairBest() {
        if (!Files.exists(latest().resolve(TrainerState.FILE_NAME))) {
            return;
        }
        TrainerState latest = TrainerState.read(latest());
        if (latest.bestValLoss() == null) {
            return;
        }
        TrainerState best = Files.exists(best().resolve(TrainerState.FILE_NAME)) ? TrainerState.read(best()) : null;
        if (best != null && best.step() == latest.bestStep()) {
            return;
        }
        String held = best == null ? "no checkpoint" : "step " + best.step();
        if (latest.bestStep() == latest.step()) {
            Checkpoint.copyWithoutOptimizer(latest(), best());
            System.err.printf("%s: held %s, but latest/ (step %d) is the best step: copied latest/ to best/ (a run was "
                    + "stopped between the two)%n", best(), held, latest.step());
        } else {
            TrainerState repaired = new TrainerState(latest.step(), latest.tokensSeen(), latest.learningRate(),
                    latest.trainLoss(), latest.valLoss(), best == null ? null : best.valLoss(), best == null ? 0 : best.step(),
                    latest.samplerPosition(), latest.seed(), latest.elapsedSeconds(), latest.run());
            try {
                AtomicFiles.writeString(latest().resolve(TrainerState.FILE_NAME),
                        dev.chatforge.io.Json.MAPPER.writeValueAsString(repaired) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.err.printf("%s: holds %s, not the best step %d that %s names; the state now names what best/ "
                    + "holds%n", best(), held, latest.bestStep(), latest());
        }
    }

    /**
     * Undoes what a kill can leave: a checkpoint renamed aside but not yet replaced comes back,
     * and temporary folders and files of unfinished saves are removed.
     */
    static void removeLeftovers(Path dir) {
        AtomicFiles.recoverInterruptedPublish(dir);
        if (!Files.isDirectory(dir)) {
            return;
        }
        // Every file of a run folder is published the same way (latest/, best/, metrics, manifest, loss.png, ...).
        AtomicFiles.recoverInterruptedPublishesIn(dir);
    }

    /** Refuses to replace {@code dir} when it holds anything chatforge did not write there. */
    static void refuseForeign(String stage, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new StageInputException(dir + ": is a file, not a run folder; " + stage + " replaces only a run, even "
                    + "with --force: move it away or choose another output");
        }
        StageOutput.refuseForeignEntries(stage, dir, dir, WRITTEN_BY_CHATFORGE);
    }

    /** A run killed before its first checkpoint leaves only its metrics. */
    static boolean onlyLeftoversOfAnUnfinishedRun(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.allMatch(p -> p.getFileName().toString().equals(MetricsLog.FILE_NAME));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The weights of latest/ and (when it exists) best/, with size and hash, for the run's manifest. */
    public List<Manifest.FileEntry> checkpointWeights() {
        List<Manifest.FileEntry> entries = new ArrayList<>();
        for (Path checkpoint : List.of(latest(), best())) {
            Path weights = checkpoint.resolve(Checkpoint.WEIGHTS);
            if (Files.exists(weights)) {
                entries.add(Manifest.FileEntry.of(weights, dir));
            }
        }
        return entries;
    }
}
