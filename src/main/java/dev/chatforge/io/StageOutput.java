package dev.chatforge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One stage's output, a folder or a single file, from the checks to the swap: what
 * {@code train.TrainingRun} is for a training run, this is for every other command that writes
 * (prepare, tokenize, eval's report, init-model, report, and the writers to come):
 * <ol>
 *   <li>{@link #folder} / {@link #file}, then {@link Spec#open}:
 *     <ul>
 *       <li>refuses an output that is, holds or lies inside one of the inputs the stage reads
 *           ({@link Spec#reads}: raw data, a data folder, a tokenizer, a checkpoint), with or
 *           without {@code --force}, naming both paths;</li>
 *       <li>locks the output ({@link RunLock}: {@code <output>.lock} beside it), so a second run
 *           into it is refused while the first lives, and the lock of a killed one is taken over;</li>
 *       <li>removes what a killed run left beside it: unfinished {@code <output>.tmp-*} copies, and
 *           a replaced {@code <output>.old-*} copy (which comes back when a kill fell between the
 *           two renames of a swap and the output is missing);</li>
 *       <li>refuses an existing output without {@code --force}, and with it, one that holds
 *           anything this stage does not write ({@link Spec#owns} for a folder,
 *           {@link Spec#recognizedBy} for a file): a user's notes, a training run, another model
 *           are never deleted, whatever the flags (an empty folder counts as no output);</li>
 *       <li>makes the temporary place the stage writes into: {@link #path()}, a sibling
 *           {@code <output>.tmp-*}.</li>
 *     </ul></li>
 *   <li>The stage writes its output into {@link #path()} (for a file, creates that file).</li>
 *   <li>{@link #commit()} swaps the complete output in under its name (after checking again that
 *       what it replaces is still only this stage's): the old output is replaced only now, once the
 *       new one is whole, and at every moment one complete copy exists under the name or beside it.</li>
 *   <li>{@link #close()} removes an output that was never committed (a failed run leaves the old
 *       output as it was) and frees the lock.</li>
 * </ol>
 * A stage supplies only what is its own: its inputs and the names it writes.
 * <pre>{@code
 * try (StageOutput out = StageOutput.folder("merge", config.output()).owns("config.json", "model.safetensors")
 *         .reads(config.checkpoint(), config.adapter()).force(force).open()) {
 *     write(out.path());   // a fresh, empty folder beside the output
 *     out.commit();
 * }
 * }</pre>
 */
public final class StageOutput implements AutoCloseable {
    private final Spec spec;
    private final Path target;
    private final RunLock lock;
    private final Path temp;
    private boolean committed;

    private StageOutput(Spec spec, Path target, RunLock lock, Path temp) {
        this.spec = spec;
        this.target = target;
        this.lock = lock;
        this.temp = temp;
    }

    /** An output folder that {@code stage} fills; declare the names it writes with {@link Spec#owns}. */
    public static Spec folder(String stage, Path output) {
        return new Spec(stage, output, true);
    }

    /** A single output file; say how to tell one this stage wrote with {@link Spec#recognizedBy}. */
    public static Spec file(String stage, Path output) {
        return new Spec(stage, output, false);
    }

    /** What a stage's output is made of, before it is opened. */
    public static final class Spec {
        private final String stage;
        private final Path output;
        private final boolean folder;
        private final List<Path> inputs = new ArrayList<>();
        private final List<String> ownedNames = new ArrayList<>();
        private Predicate<Path> recognized = file -> false;
        private String recognizedAs;
        private boolean force;

        private Spec(String stage, Path output, boolean folder) {
            this.stage = stage;
            this.output = output;
            this.folder = folder;
        }

        /** Files and folders the stage reads: the output may not be, hold or lie in any of them. Nulls are skipped. */
        public Spec reads(Path... paths) {
            for (Path p : paths) {
                if (p != null) {
                    inputs.add(p);
                }
            }
            return this;
        }

        public Spec reads(Collection<Path> paths) {
            return reads(paths.toArray(Path[]::new));
        }

        /**
         * The names (or globs, e.g. {@code model-*.safetensors}) this stage writes into its folder:
         * an existing folder holding anything else is never replaced.
         */
        public Spec owns(String... names) {
            for (String name : names) {
                ownedNames.add(name);
            }
            return this;
        }

        /**
         * How to tell an existing file this stage wrote (e.g. a report with the stage's keys), and
         * what to call it in a message: any other file is never replaced.
         */
        public Spec recognizedBy(Predicate<Path> ours, String description) {
            this.recognized = ours;
            this.recognizedAs = description;
            return this;
        }

        /** {@code --force} (or {@code overwrite: true}): an existing output of this stage may be replaced. */
        public Spec force(boolean force) {
            this.force = force;
            return this;
        }

        /** Checks, locks, cleans and makes the temporary place to write (see the class comment). */
        public StageOutput open() {
            if (folder && ownedNames.isEmpty()) {
                throw new IllegalStateException(stage + ": an output folder needs the names it owns");
            }
            // The output itself, not a link to it: the lock, the checks and the swap act where it is.
            Path target = RealPaths.of(output);
            for (Path input : inputs) {
                refuseOverlap(stage, output, input);
            }
            RunLock lock = RunLock.acquire(target, stage);
            try {
                List<Path> removed = AtomicFiles.recoverInterruptedPublish(target);
                if (!removed.isEmpty()) {
                    System.err.println(stage + ": removed what an interrupted run left beside " + output + ": "
                            + String.join(", ", removed.stream().map(p -> p.getFileName().toString()).toList()));
                }
                if (holdsSomething(target)) {
                    if (!force) {
                        throw new StageInputException(output + ": already exists; pass --force (or set overwrite: true) "
                                + "to replace it");
                    }
                    refuseForeign(target);
                }
                Path temp = folder ? AtomicFiles.newTempDirectory(target) : AtomicFiles.tempSibling(target);
                return new StageOutput(this, target, lock, temp);
            } catch (RuntimeException | Error e) {
                lock.close();
                throw e;
            }
        }

        /** Whether there is something to replace: anything under a file output's name, or a folder that is not empty. */
        private boolean holdsSomething(Path target) {
            if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            if (!folder || !Files.isDirectory(target)) {
                return true;
            }
            try (Stream<Path> entries = Files.list(target)) {
                return entries.findAny().isPresent();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + output + ": " + IoErrors.reason(e), e);
            }
        }

        /** Refuses to replace an output that holds anything this stage did not write. */
        private void refuseForeign(Path target) {
            if (!holdsSomething(target)) {
                return;
            }
            if (!folder) {
                if (Files.isDirectory(target) || !recognized.test(target)) {
                    throw new StageInputException(output + ": exists and is not " + (recognizedAs == null
                            ? "a file " + stage + " wrote" : recognizedAs) + "; " + stage + " replaces only its own "
                            + "output, even with --force: move it away or choose another output");
                }
                return;
            }
            if (!Files.isDirectory(target)) {
                throw new StageInputException(output + ": is a file, not a folder " + stage + " wrote; " + stage
                        + " replaces only its own output, even with --force: move it away or choose another output");
            }
            refuseForeignEntries(stage, output, target, ownedNames);
        }
    }

    /**
     * Refuses (naming them) the entries of {@code folder} that match none of {@code ownedNames}
     * (names or globs): what {@code stage} would delete by replacing the folder, though it did not
     * write them. {@code output} is the folder as the user named it, for the message.
     */
    public static void refuseForeignEntries(String stage, Path output, Path folder, List<String> ownedNames) {
        List<PathMatcher> owned = ownedNames.stream()
                .map(name -> FileSystems.getDefault().getPathMatcher("glob:" + name)).toList();
        List<String> foreign = new ArrayList<>();
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path entry : (Iterable<Path>) entries.sorted()::iterator) {
                Path name = entry.getFileName();
                if (owned.stream().noneMatch(m -> m.matches(name))) {
                    foreign.add(name + (Files.isDirectory(entry) ? "/" : ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + output + ": " + IoErrors.reason(e), e);
        }
        if (!foreign.isEmpty()) {
            String shown = String.join(", ", foreign.subList(0, Math.min(5, foreign.size())))
                    + (foreign.size() > 5 ? " and " + (foreign.size() - 5) + " more" : "");
            throw new StageInputException(output + ": holds " + shown + ", which " + stage + " did not write ("
                    + stage + " writes " + String.join(", ", ownedNames) + "); nothing was replaced, even with "
                    + "--force: move those away or choose another output");
        }
    }

    /** Where the stage writes: a fresh folder, or a file name not yet created, beside the output. */
    public Path path() {
        return temp;
    }

    /** The output's real location (links resolved). */
    public Path target() {
        return target;
    }

    /** Swaps the complete output in; the previous one (only this stage's, checked again) goes only now. */
    public void commit() {
        if (committed) {
            throw new IllegalStateException(target + ": already committed");
        }
        spec.refuseForeign(target);
        if (spec.folder) {
            AtomicFiles.publishDirectory(temp, target, true);
        } else {
            if (!Files.isRegularFile(temp)) {
                throw new IllegalStateException(spec.stage + ": nothing was written to " + temp);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + target + ": " + IoErrors.reason(e), e);
            }
        }
        committed = true;
    }

    /** Removes an uncommitted output (the old one, if any, stays as it was) and frees the lock. */
    @Override
    public void close() {
        try {
            if (!committed) {
                AtomicFiles.deleteQuietly(temp);
            }
        } finally {
            lock.close();
        }
    }

    /**
     * An output that is, holds or lies inside an input would overwrite (or, replaced, delete) it,
     * or be read back as input by the next run: refused, {@code --force} or not.
     */
    public static void refuseOverlap(String stage, Path output, Path input) {
        Path out = RealPaths.of(output);
        Path in = RealPaths.of(input);
        if (out.startsWith(in) || in.startsWith(out)) {
            String relation = out.equals(in) ? "is" : out.startsWith(in) ? "lies inside" : "contains";
            throw new StageInputException(output + ": the output " + relation + " " + input + ", which " + stage
                    + " reads; choose another output (--force does not change this)");
        }
    }
}
