package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPT-2's real vocabulary, as the Hub ships it (tokenizer.json) and as older repositories do (vocab.json + merges.txt). */
class Gpt2TokenizerTest {
    @TempDir
    Path tmp;

    static Path resource(String name) {
        try {
            return Path.of(Gpt2TokenizerTest.class.getResource("/gpt2/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Hub's gpt2/tokenizer.json (converted from OpenAI's files; see test resources gpt2/README.md). */
    public static Path gpt2TokenizerJson() {
        return resource("tokenizer.json");
    }

    @Test
    void hubFileWithEmptySubwordPrefixAndSuffixIsAccepted() throws IOException {
        JsonNode model = Json.MAPPER.readTree(gpt2TokenizerJson().toFile()).get("model");
        assertEquals("", model.get("continuing_subword_prefix").asText(), "the resource has the Hub's empty strings");
        assertEquals("", model.get("end_of_word_suffix").asText());
        TokenizerJson json = TokenizerJson.read(gpt2TokenizerJson());
        assertEquals(50257, json.vocabSize());
        assertEquals(List.of(new TokenizerJson.AddedToken(50256, "<|endoftext|>", true, true)), json.addedTokens());
        assertEquals(50000, json.merges().size());
    }

    @Test
    void aRealSubwordPrefixIsStillRefused() throws IOException {
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(gpt2TokenizerJson().toFile());
        ((ObjectNode) root.get("model")).put("continuing_subword_prefix", "##");
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, root.toString());
        StageInputException e = assertThrows(StageInputException.class, () -> TokenizerJson.read(file));
        assertTrue(e.getMessage().contains("subword prefix or suffix"), e.getMessage());
    }

    @Test
    void idsEqualTheReferenceGpt2Encoder() throws IOException {
        JsonNode cases = Json.MAPPER.readTree(resource("reference-ids.json").toFile());
        assertTrue(cases.size() >= 10);
        try (ChatTokenizer tokenizer = ChatTokenizer.load(gpt2TokenizerJson())) {
            for (JsonNode c : cases) {
                String text = c.get("text").asText();
                int[] expected = new int[c.get("ids").size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = c.get("ids").get(i).asInt();
                }
                assertArrayEquals(expected, tokenizer.encode(text), text);
                assertEquals(text, tokenizer.decode(expected), "round trip of " + text);
            }
        }
    }

    @Test
    void vocabJsonAndMergesTxtConvertToTheSameTokenizer() throws IOException {
        // Write GPT-2's vocab.json + merges.txt from the resource, as older Hub repositories ship it.
        TokenizerJson json = TokenizerJson.read(gpt2TokenizerJson());
        ObjectNode vocab = Json.MAPPER.createObjectNode();
        for (int id = 0; id < json.vocabSize(); id++) {
            vocab.put(json.vocab().get(id), id);
        }
        Files.writeString(tmp.resolve("vocab.json"), vocab.toString());
        List<String> merges = new ArrayList<>();
        merges.add("#version: 0.2");
        json.merges().forEach(m -> merges.add(m[0] + " " + m[1]));
        Files.write(tmp.resolve("merges.txt"), merges);

        byte[] converted = VocabAndMerges.tokenizerJsonBytes(tmp.resolve("vocab.json"));
        assertEquals(Json.MAPPER.readTree(gpt2TokenizerJson().toFile()), Json.MAPPER.readTree(converted));
        Path found = VocabAndMerges.tokenizerOf(tmp);
        try (ChatTokenizer t = ChatTokenizer.load(found)) {
            assertArrayEquals(new int[] {15496, 995, 0}, t.encode("Hello world!"));
        }
    }

    @Test
    void aBadMergeLineIsNamedWithItsLine() throws IOException {
        Files.writeString(tmp.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        Files.writeString(tmp.resolve("merges.txt"), "#version: 0.2\na b\nab\n");
        StageInputException e = assertThrows(StageInputException.class,
                () -> VocabAndMerges.toTokenizerJson(tmp.resolve("vocab.json"), tmp.resolve("merges.txt")));
        assertTrue(e.getMessage().endsWith("merges.txt:3: 'ab' is not a merge of two tokens"), e.getMessage());
    }
}
