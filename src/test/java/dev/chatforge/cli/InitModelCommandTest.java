package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** init-model's mistakes are named as the user typed them, before any work. */
class InitModelCommandTest {
    @TempDir
    Path dir;

    private final Path gpt2Tokenizer = Path.of("src/test/resources/gpt2/tokenizer.json");

    private CliRun initModel(String tokenizer, String positions) {
        return CliRun.of("init-model", "--output", dir.resolve("model").toString(), "--tokenizer", tokenizer,
                "--preset", "tiny", "--n-positions", positions);
    }

    @Test
    void aContextTooLongForTheHubLayoutIsAConfigErrorWithTheMaximumAndWhy() {
        for (String positions : new String[] {"70000", "100000000"}) {
            CliRun r = initModel(gpt2Tokenizer.toString(), positions);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--n-positions " + positions + ": must be between 1 and 46340"), r.err());
            assertTrue(r.err().contains("causal-mask"), r.err());
            assertFalse(Files.exists(dir.resolve("model")));
        }
    }

    @Test
    void aZeroContextIsNamedWithoutThePresetsVocabulary() {
        CliRun r = initModel(gpt2Tokenizer.toString(), "0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--n-positions 0: must be between 1 and"), r.err());
        assertFalse(r.err().contains("2048"), "the tiny preset's vocab_size is not what the model would get: " + r.err());
    }

    @Test
    void aBadTokenizerIsReportedUnderThePathTheUserGave() throws Exception {
        Path bad = Files.writeString(dir.resolve("my-tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\"}}");
        CliRun r = initModel(bad.toString(), "64");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(bad + ": not a byte-level BPE tokenizer"), r.err());
        assertFalse(r.err().contains(".tmp"), r.err());
    }
}
