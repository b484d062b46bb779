package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.Hashing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `chatforge init-model` and the folders a user already has. */
class InitModelCliTest {
    private static final Path GPT2_TOKENIZER = Path.of("src/test/resources/gpt2/tokenizer.json");

    @TempDir
    Path dir;

    private static List<String> listing(Path folder) throws Exception {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.map(p -> folder.relativize(p) + (Files.isRegularFile(p) ? " " + Hashing.sha256(p) : "")).sorted()
                    .toList();
        }
    }

    private static CliRun initModel(Path output, Path tokenizer, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("init-model", "--preset", "tiny", "--n-positions", "32",
                "--dtype", "F16", "--output", output.toString(), "--tokenizer", tokenizer.toString()));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** Issue 19: `init-model --force --output RUN --tokenizer RUN/latest/tokenizer.json` deleted the run. */
    @Test
    void anOutputHoldingTheTokenizerItReadsIsRefusedEvenWithForce() throws Exception {
        Path run = dir.resolve("run");
        Files.createDirectories(run.resolve("latest"));
        Files.copy(GPT2_TOKENIZER, run.resolve("latest/tokenizer.json"));
        Files.writeString(run.resolve("latest/model.safetensors"), "weights");
        Files.writeString(run.resolve("notes.txt"), "what I tried");
        List<String> before = listing(run);
        Path tokenizer = run.resolve("latest/tokenizer.json");
        CliRun r = initModel(run, tokenizer, "--force");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(run + ": the output contains " + tokenizer + ", which init-model reads"), r.err());
        assertEquals(before, listing(run));
    }

    /** Issue 19: a user's notes.txt in the output folder was deleted by `init-model --force`. */
    @Test
    void forceReplacesOnlyAModelFolderItWroteNeverAUsersFiles() throws Exception {
        Path model = dir.resolve("model");
        assertEquals(0, initModel(model, GPT2_TOKENIZER).code());
        Files.writeString(model.resolve("notes.txt"), "mine");
        List<String> before = listing(model);
        CliRun r = initModel(model, GPT2_TOKENIZER, "--force", "--seed", "7");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(model + ": holds notes.txt, which init-model did not write"), r.err());
        assertEquals(before, listing(model));

        Files.delete(model.resolve("notes.txt"));
        CliRun again = initModel(model, GPT2_TOKENIZER);
        assertEquals(1, again.code(), "an existing output needs --force");
        CliRun forced = initModel(model, GPT2_TOKENIZER, "--force", "--seed", "7");
        assertEquals(0, forced.code(), forced.err());
        assertTrue(Files.exists(model.resolve("model.safetensors")));
    }
}
