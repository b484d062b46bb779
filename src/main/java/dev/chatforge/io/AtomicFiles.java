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
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes that are all-or-nothing: output goes to a temporary sibling first and is renamed into
 * place only when complete, so a crash never leaves a complete-looking but partial file or
 * folder. Existing outputs are replaced only when the caller says so.
 */
public final class AtomicFiles {
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
            return Files.createTempDirectory(parent, target.getFileName() + ".tmp-");
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
            if (Files.exists(target)) {
                checkWritable(target, overwrite);
                Path old = target.resolveSibling(target.getFileName() + ".old-" + System.nanoTime());
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

    /** Fails early, before any work, when an output exists and may not be replaced. */
    public static void checkWritable(Path target, boolean overwrite) {
        if (Files.exists(target) && !overwrite) {
            throw new StageInputException(target + ": already exists; pass --force (or set overwrite: true) to replace it");
        }
    }

    public static Path tempSibling(Path target) {
        return target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
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
