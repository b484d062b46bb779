package dev.chatforge.train;

import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The output folder of a training run (train or finetune) and the {@code resume} setting:
 * continue the run it holds, or start over, which replaces what is there only with
 * {@code --force} (or when all it holds are the leftovers of a run killed before its first
 * checkpoint).
 */
public final class RunFolder {
    /** Values of the {@code resume} key: continue output/latest when it exists, or never. */
    public static final List<String> RESUME = List.of("auto", "never");

    private RunFolder() {}

    /**
     * Whether to continue the run in {@code out}; throws, naming the folder and the way out, when
     * starting over would replace something without {@code force}. Changes nothing on disk.
     */
    public static boolean resume(Path out, String resume, boolean force, String stage) {
        boolean hasCheckpoint = Files.exists(Trainer.latest(out).resolve(TrainerState.FILE_NAME));
        if (hasCheckpoint && resume.equals("auto") && !force) {
            return true;
        }
        if (hasCheckpoint && !force) {
            throw new StageInputException(out + ": already holds a " + stage + " run (resume: never); pass --force to "
                    + "start over, or set resume: auto to continue it");
        }
        if (Files.exists(out) && !force && !onlyLeftoversOfAnUnfinishedRun(out)) {
            throw new StageInputException(out + ": already exists and is not a chatforge " + stage + " run; pass --force "
                    + "to replace it, or choose another output");
        }
        return false;
    }

    /** Empties the way for a new run (after {@link #resume} said not to resume). */
    public static void clear(Path out) {
        if (Files.exists(out)) {
            AtomicFiles.deleteRecursively(out);
        }
    }

    /** A run killed before its first checkpoint leaves only metrics and temporary folders. */
    private static boolean onlyLeftoversOfAnUnfinishedRun(Path out) {
        try (var entries = Files.list(out)) {
            return entries.map(p -> p.getFileName().toString())
                    .allMatch(name -> name.equals(MetricsLog.FILE_NAME) || name.contains(".tmp-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
