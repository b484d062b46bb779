package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.chatforge.chat.ChatTemplate;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTokenizerTest {
    @TempDir
    Path dir;

    /** DJL's own encoding of the whole text, with truncation and padding off. */
    static int[] djl(Path tokenizerJson, String text) throws Exception {
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            return Arrays.stream(hf.encode(text, false, false).getIds()).mapToInt(l -> (int) l).toArray();
        }
    }

    @Test
    void encodingEqualsDjlAndDecodesExactly() throws Exception {
        Path file = TestTokenizers.trained(dir, 400);
        try (ChatTokenizer tok = ChatTokenizer.load(file)) {
            String text = TestTokenizers.TRICKY;
            int[] ours = tok.encode(text);
            assertArrayEquals(djl(file, text), ours);
            assertEquals(text, tok.decode(ours));
            // again, now from the word cache
            assertArrayEquals(ours, tok.encode(text));
            // long text: DJL's default would cut at 512 tokens
            String longText = text.repeat(20);
            int[] longIds = tok.encode(longText);
            assertEquals(true, longIds.length > 512 * 4);
            assertArrayEquals(djl(file, longText), longIds);
            assertEquals(longText, tok.decode(longIds));
        }
    }

    @Test
    void randomTextEqualsDjlIncludingLongWordsAndNewUnicode() throws Exception {
        Path file = TestTokenizers.trained(dir, 500);
        String[] pool = {"the", " cat", "é", "ß", "日本", "😀", "👍🏽", "🫠" /* Unicode 14: unassigned in Java 17 */,
                "\u0378" /* unassigned */, "1", "٣", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "'s", "'ll",
                "!", "...", "<|", "|>", "<|endoftext|>", "<|user|>", "<|end|>", "[INST]", "[/INST]", "!".repeat(70),
                " ".repeat(100), "a".repeat(80)};
        java.util.Random random = new java.util.Random(11);
        java.util.List<String> texts = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            StringBuilder t = new StringBuilder();
            int n = random.nextInt(40);
            for (int k = 0; k < n; k++) {
                t.append(pool[random.nextInt(pool.length)]);
            }
            texts.add(t.toString());
        }
        try (ChatTokenizer tok = ChatTokenizer.load(file)) {
            int[][] ours = tok.encodeAll(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(djl(file, texts.get(i)), ours[i], "text #" + i);
                assertEquals(texts.get(i), tok.decode(ours[i]));
            }
            tok.verifyAgainstNative(texts);
        }
    }

    @Test
    void specialTokensAreSingleIdsAndNeverSplit() throws Exception {
        Path file = TestTokenizers.trained(dir, 400);
        try (ChatTokenizer tok = ChatTokenizer.load(file)) {
            for (String special : ChatTemplate.SPECIAL_TOKENS) {
                int id = tok.specialTokenId(special);
                assertArrayEquals(new int[] {id}, tok.encode(special));
                assertTrue(tok.isSpecial(id));
                int[] ids = tok.encode("x" + special + "y " + special + special);
                assertEquals(3, Arrays.stream(ids).filter(i -> i == id).count(), special);
                assertEquals("x" + special + "y " + special + special, tok.decode(ids));
            }
            assertEquals(256, tok.endOfTextId());
            assertEquals(260, tok.endOfTurnId());
            assertEquals(List.of("<|tool|>"), tok.missingSpecialTokens(List.of("<|end|>", "<|tool|>")));
            assertEquals(ChatTemplate.SPECIAL_TOKENS, List.copyOf(tok.specialTokens().keySet()));
        }
    }

    @Test
    void conversationMaskCoversExactlyTheAgentRepliesInBothTemplates() throws Exception {
        Path file = TestTokenizers.trained(dir, 400);
        List<Turn> turns = List.of(new Turn(Role.SYSTEM, "Be brief."), new Turn(Role.USER, "Hi! Ça va?"),
                new Turn(Role.AGENT, "Fine, thanks 😀"), new Turn(Role.USER, "2+2?"), new Turn(Role.AGENT, "4\n"));
        try (ChatTokenizer tok = ChatTokenizer.load(file)) {
            for (ChatTemplate template : ChatTemplate.values()) {
                ChatTokenizer.Encoded e = tok.encode(template, turns);
                String joined = ChatTemplate.join(template.render(turns));
                assertArrayEquals(djl(file, joined), e.ids(), template.name());
                assertEquals(e.ids().length, e.mask().length);
                java.io.ByteArrayOutputStream trainedBytes = new java.io.ByteArrayOutputStream();
                java.io.ByteArrayOutputStream contextBytes = new java.io.ByteArrayOutputStream();
                for (int i = 0; i < e.size(); i++) {
                    (e.mask()[i] == 1 ? trainedBytes : contextBytes).writeBytes(tok.tokenBytes(e.ids()[i]));
                }
                String trained = trainedBytes.toString(java.nio.charset.StandardCharsets.UTF_8);
                String context = contextBytes.toString(java.nio.charset.StandardCharsets.UTF_8);
                String lead = template == ChatTemplate.INST ? " " : "";
                assertEquals(lead + "Fine, thanks 😀<|end|>" + lead + "4\n<|end|>", trained, template.name());
                assertFalse(context.contains("Fine"));
                // the prompt for the next reply is the context of a reply
                int[] prompt = tok.encodeForReply(template, turns.subList(0, 2));
                assertEquals(ChatTemplate.join(template.renderForReply(turns.subList(0, 2))), tok.decode(prompt));
            }
        }
    }

    @Test
    void decodeBytesKeepsPartialCharacters() throws Exception {
        Path file = TestTokenizers.trained(dir, 300);
        try (ChatTokenizer tok = ChatTokenizer.load(file)) {
            int[] ids = tok.encode("😀");
            assertTrue(ids.length > 1, "a 4-byte emoji is several byte tokens in a small vocabulary");
            byte[] first = tok.decodeBytes(new int[] {ids[0]});
            assertTrue(first.length < 4);
            assertArrayEquals("😀".getBytes(java.nio.charset.StandardCharsets.UTF_8), tok.decodeBytes(ids));
        }
    }

    @Test
    void writtenTokenizerJsonReadsBackAndOtherSplitsGoThroughHuggingFace() throws Exception {
        Path file = TestTokenizers.trained(dir, 400);
        TokenizerJson json = TokenizerJson.read(file);
        assertEquals(400, json.vocabSize());
        assertTrue(json.gpt2Split());
        assertEquals(ChatTemplate.SPECIAL_TOKENS, json.addedTokens().stream().map(TokenizerJson.AddedToken::content).toList());
        // A byte-level BPE that adds a prefix space splits differently: encoded by Hugging Face directly.
        String text = java.nio.file.Files.readString(file).replaceFirst("\"add_prefix_space\" : false", "\"add_prefix_space\" : true");
        Path prefixed = dir.resolve("prefixed.json");
        java.nio.file.Files.writeString(prefixed, text);
        assertFalse(TokenizerJson.read(prefixed).gpt2Split());
        try (ChatTokenizer tok = ChatTokenizer.load(prefixed)) {
            assertArrayEquals(djl(prefixed, TestTokenizers.TRICKY), tok.encode(TestTokenizers.TRICKY));
        }
    }
}
