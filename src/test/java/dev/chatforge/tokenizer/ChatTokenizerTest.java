package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.chatforge.chat.ChatTemplate;
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
}
