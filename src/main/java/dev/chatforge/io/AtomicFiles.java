package dev.chatforge.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes that are all-or-nothing: output goes to a temporary sibling first and is renamed into
 * place only when complete, so a crash never leaves a complete-looking but partial file or
 * folder. Existing outputs are replaced only when the caller says so.
 */
public final class AtomicFiles {
    /** Suffix of a temporary copy being written ({@code name.tmp-…}). */
    private static final String TMP = ".tmp-";
    /** Suffix of a replaced copy renamed aside until its replacement is in ({@code name.old-…}). */
    private static final String OLD = ".old-";
    /** What follows a name in the temporary copies these methods make: {@link #tempSibling}, {@link #newTempDirectory}. */
    private static final Pattern TMP_NAME = Pattern.compile("\\.tmp-[0-9]+(-[0-9]+)?");
    /** What follows a name in a copy {@link #publishDirectory} renamed aside. */
    private static final Pattern OLD_NAME = Pattern.compile("\\.old-[0-9]{20}");

    private AtomicFiles() {}

    /** Writes what {@code body} produces to {@code target} via a temporary file and a rename. */
    public static void write(Path target, IoConsumer<OutputStream> body) {
        Path tmp = tempSibling(target);
        try {
            createParent(target);
            try (OutputStream out = Files.newOutputStream(tmp)) {
                body.accept(out);
            }
            move(tmp, target);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write " + target + ": " + IoErrors.reason(e), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    public static void writeString(Path target, String text) {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** A fresh, empty folder next to {@code target} to build an output folder in. */
    public static Path newTempDirectory(Path target) {
        try {
            createParent(target);
            Path parent = target.toAbsolutePath().getParent();
            return Files.createTempDirectory(parent, target.getFileName() + TMP);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder beside " + target + ": " + IoErrors.reason(e), e);
        }
    }

    /**
     * Moves a completed temporary folder to {@code target}. An existing target is replaced only
     * when {@code overwrite} is set; it is first renamed aside, so at every moment one complete
     * folder (old or new) exists under the target name or its backup.
     */
    public static void publishDirectory(Path tempDir, Path target, boolean overwrite) {
        try {
            readableByAll(tempDir);
            if (Files.exists(target)) {
                checkWritable(target, overwrite);
                // a fixed-width, sortable suffix: recoverInterruptedPublish restores the newest
                Path old = target.resolveSibling(target.getFileName() + OLD + String.format("%020d", System.nanoTime()));
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                move(tempDir, target);
                deleteRecursively(old);
            } else {
                move(tempDir, target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + target + ": " + IoErrors.reason(e), e);
        }
    }

    /**
     * Undoes what a kill during {@link #publishDirectory} or {@link #write} can leave beside
     * {@code target}: when the target was renamed aside ({@code .old-}) but its replacement not
     * yet moved in, the old one comes back; unfinished temporary copies ({@code .tmp-}) and
     * renamed-aside copies of a target that exists are removed. Only names these methods make are
     * touched ({@code name.tmp-<digits>}, {@code name.old-<20 digits>}), never a user's
     * {@code name.tmp-notes}. Call it only while no other process writes {@code target}.
     *
     * @return the leftovers removed
     */
    public static List<Path> recoverInterruptedPublish(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        List<Path> removed = new ArrayList<>();
        if (parent == null || !Files.isDirectory(parent)) {
            return removed;
        }
        String name = target.getFileName().toString();
        try (Stream<Path> siblings = Files.list(parent)) {
            List<Path> old = new ArrayList<>();
            List<Path> tmp = new ArrayList<>();
            for (Path p : (Iterable<Path>) siblings::iterator) {
                String n = p.getFileName().toString();
                if (!n.startsWith(name)) {
                    continue;
                }
                String suffix = n.substring(name.length());
                if (OLD_NAME.matcher(suffix).matches()) {
                    old.add(p);
                } else if (TMP_NAME.matcher(suffix).matches()) {
                    tmp.add(p);
                }
            }
            old.sort(Comparator.comparing(p -> p.getFileName().toString()));
            if (!Files.exists(target) && !old.isEmpty()) {
                Path newest = old.remove(old.size() - 1);
                Files.move(newest, target, StandardCopyOption.ATOMIC_MOVE);
                System.err.println(target + ": restored from " + newest.getFileName() + " (a replacement was interrupted)");
            }
            for (Path p : old) {
                deleteRecursively(p);
                removed.add(p);
            }
            for (Path p : tmp) {
                deleteRecursively(p);
                removed.add(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up beside " + target + ": " + e.getMessage(), e);
        }
        return removed;
    }

    /**
     * {@link #recoverInterruptedPublish} for every name in {@code dir} that has a temporary
     * ({@code .tmp-}) or renamed-aside ({@code .old-}) sibling. Call it only while no other
     * process writes into {@code dir}.
     */
    public static void recoverInterruptedPublishesIn(Path dir) {
        Set<String> published = new TreeSet<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                int cut = Math.max(name.lastIndexOf(TMP), name.lastIndexOf(OLD));
                if (cut > 0) {
                    published.add(name.substring(0, cut));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + IoErrors.reason(e), e);
        }
        for (String name : published) {
            recoverInterruptedPublish(dir.resolve(name));
        }
    }

    /** Temporary folders are created owner-only; a published output is shared like any other (0755). */
    private static void readableByAll(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep the default
        }
    }

    /** Fails early, before any work, when an output exists and may not be replaced. */
    public static void checkWritable(Path target, boolean overwrite) {
        if (Files.exists(target) && !overwrite) {
            throw new StageInputException(target + ": already exists; pass --force (or set overwrite: true) to replace it");
        }
    }

    public static Path tempSibling(Path target) {
        return target.resolveSibling(target.getFileName() + TMP + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    public static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path + ": " + IoErrors.reason(e), e);
        }
    }

    public static void deleteQuietly(Path path) {
        try {
            deleteRecursively(path);
        } catch (RuntimeException ignored) {
            // best effort: the temporary name never looks like a finished output
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | DirectoryNotEmptyException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void createParent(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    /** A consumer that may throw IOException. */
    @FunctionalInterface
    public interface IoConsumer<T> {
        void accept(T value) throws IOException;
    }
}
