package dev.chatforge.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * What a stage wrote, for the next stage to read instead of guessing: the inputs (size and
 * SHA-256), the effective config, stage-specific statistics, and the outputs (size and SHA-256).
 * Every stage output folder has one, named {@value #FILE_NAME}.
 *
 * @param stage   the stage that wrote it ("prepare", "tokenize", ...)
 * @param inputs  files read, paths as given by the user
 * @param config  the effective config section the stage ran with
 * @param stats   stage-specific facts (counts, vocab size, ...), free-form
 * @param outputs files written, paths relative to the manifest's folder
 */
public record Manifest(
        String stage,
        String chatforgeVersion,
        String created,
        List<FileEntry> inputs,
        JsonNode config,
        ObjectNode stats,
        List<FileEntry> outputs) {

    public static final String FILE_NAME = "manifest.json";

    /** A file with its size and content hash. */
    public record FileEntry(String path, long bytes, String sha256) {
        /** Describes {@code file}, recording its path relative to {@code base} when given. */
        public static FileEntry of(Path file, Path base) {
            try {
                String shown = base == null ? file.toString() : base.relativize(file).toString();
                return new FileEntry(shown, Files.size(file), Hashing.sha256(file));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
    }

    public static Manifest create(String stage, List<FileEntry> inputs, JsonNode config, ObjectNode stats,
                                  List<FileEntry> outputs) {
        return new Manifest(stage, Version.CHATFORGE, Instant.now().toString(), inputs, config, stats, outputs);
    }

    /** Writes {@value #FILE_NAME} into {@code dir}, atomically. */
    public void writeTo(Path dir) {
        try {
            AtomicFiles.writeString(dir.resolve(FILE_NAME), Json.MAPPER.writeValueAsString(this) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads the manifest of a stage output folder and checks it was written by
     * {@code expectedStage}; the error names the folder and the stage to run first.
     */
    public static Manifest read(Path dir, String expectedStage) {
        Path file = dir.resolve(FILE_NAME);
        Manifest manifest;
        try {
            manifest = Json.MAPPER.readValue(file.toFile(), Manifest.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new StageInputException(file + ": not found; is " + dir + " the output of `chatforge "
                    + expectedStage + "`?");
        } catch (IOException e) {
            throw new StageInputException(file + ": not a valid manifest: " + e.getMessage());
        }
        if (!expectedStage.equals(manifest.stage())) {
            throw new StageInputException(file + ": written by stage '" + manifest.stage() + "', expected the output of '"
                    + expectedStage + "'");
        }
        return manifest;
    }

    /**
     * Checks that an output listed in this manifest still has the recorded size and SHA-256 (a
     * large file's hash is remembered by {@link HashCache} while the file is unchanged).
     */
    public Path verifiedOutput(Path dir, String name) {
        for (FileEntry entry : outputs) {
            if (entry.path().equals(name)) {
                Path file = dir.resolve(name);
                if (!Files.exists(file)) {
                    throw new StageInputException(file + ": listed in " + dir.resolve(FILE_NAME) + " but missing");
                }
                try {
                    if (Files.size(file) != entry.bytes()) {
                        throw new StageInputException(file + ": has " + Files.size(file) + " bytes, the manifest says "
                                + entry.bytes() + "; the file changed after " + stage + " wrote it");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                // Same size is not same content (a train.bin of other ids): the recorded hash decides.
                if (entry.sha256() != null && !entry.sha256().equals(HashCache.sha256(file))) {
                    throw new StageInputException(file + ": its SHA-256 differs from the one " + dir.resolve(FILE_NAME)
                            + " records; the file changed after " + stage + " wrote it (re-run `chatforge " + stage + "`)");
                }
                return file;
            }
        }
        throw new StageInputException(dir.resolve(FILE_NAME) + ": lists no output named '" + name + "'");
    }
}
