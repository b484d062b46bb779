package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenize with a pretrained GPT-2's tokenizer, which has none of the chat template's tokens. */
class AppendedSpecialTokensTest {
    @TempDir
    Path dir;

    private Path tokenize(String template) throws java.io.IOException {
        Path input = PreparedFixture.mixed(dir.resolve("prepared-" + template));
        Path output = dir.resolve("tokens-" + template);
        TokenizeStage.run(new TokenizeConfig(input, output, 400, 2, List.of(), Gpt2TokenizerTest.gpt2TokenizerJson(),
                template, false), false, 2);
        return output;
    }

    @Test
    void turnsTokensAreAppendedAfterGpt2IdsAndRecorded() throws Exception {
        Path out = tokenize("turns");
        List<String> appended = List.of("<|system|>", "<|user|>", "<|agent|>", "<|end|>");
        JsonNode tokenizerStats = Manifest.read(out, "tokenize").stats().get("tokenizer");
        assertEquals(50257, tokenizerStats.get("base_vocab_size").asInt());
        assertEquals(appended, Json.MAPPER.convertValue(tokenizerStats.get("appended_special_tokens"), List.class));

        TokenizerExtension ext = TokenizerExtension.of(Gpt2TokenizerTest.gpt2TokenizerJson(), out.resolve("tokenizer.json"), "");
        assertEquals(appended, ext.appended());
        assertEquals(50261, ext.vocabSize());
        try (ChatTokenizer base = ChatTokenizer.load(Gpt2TokenizerTest.gpt2TokenizerJson());
             ChatTokenizer extended = ChatTokenizer.load(out.resolve("tokenizer.json"))) {
            assertEquals(50261, extended.vocabSize());
            for (int i = 0; i < appended.size(); i++) {
                assertEquals(50257 + i, extended.specialTokenId(appended.get(i)));
            }
            String text = "Hello world! Where is my order? It's late.";
            assertArrayEquals(base.encode(text), extended.encode(text), "old text keeps its ids");
            int[] ids = extended.encode(ChatTemplate.TURNS, List.of(new Turn(Role.USER, "Hi"), new Turn(Role.AGENT, "Hello!"))).ids();
            assertArrayEquals(new int[] {50258, 17250, 50260, 50259, 15496, 0, 50260}, ids);
            assertEquals(50261, TokenFile.open(out.resolve("train.bin")).vocabSize());
        }
    }

    @Test
    void instTemplateGetsItsOwnTokens() throws Exception {
        Path out = tokenize("inst");
        TokenizerExtension ext = TokenizerExtension.of(Gpt2TokenizerTest.gpt2TokenizerJson(), out.resolve("tokenizer.json"), "");
        assertEquals(List.of("[INST]", "[/INST]", "<|end|>"), ext.appended());
    }

    @Test
    void anotherTokenizerIsNotAnExtension() throws Exception {
        Path out = tokenize("turns");
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(out.resolve("tokenizer.json").toFile());
        ((ObjectNode) root.withArray("added_tokens").get(1)).put("id", 50300);
        Path shuffled = dir.resolve("shuffled.json");
        Files.writeString(shuffled, root.toString());
        StageInputException e = assertThrows(StageInputException.class,
                () -> TokenizerExtension.of(Gpt2TokenizerTest.gpt2TokenizerJson(), shuffled, "; HINT"));
        assertTrue(e.getMessage().contains("is not a special token appended after the checkpoint's ids (expected id 50257)")
                && e.getMessage().endsWith("; HINT"), e.getMessage());

        ObjectNode other = (ObjectNode) Json.MAPPER.readTree(Gpt2TokenizerTest.gpt2TokenizerJson().toFile());
        ((ObjectNode) other.get("model")).withArray("merges").remove(0);
        Path merges = dir.resolve("merges.json");
        Files.writeString(merges, other.toString());
        e = assertThrows(StageInputException.class,
                () -> TokenizerExtension.of(Gpt2TokenizerTest.gpt2TokenizerJson(), merges, ""));
        assertTrue(e.getMessage().contains("its model or pre-tokenizer is another"), e.getMessage());
    }
}
