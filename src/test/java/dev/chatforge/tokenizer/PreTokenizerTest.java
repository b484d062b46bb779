package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {
    /** GPT-2's pattern with Unicode classes: the reference the scanner must agree with. */
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    static List<String> regex(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = GPT2.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    static List<String> scanner(String text) {
        List<String> out = new ArrayList<>();
        PreTokenizer.split(text, (s, e) -> out.add(text.substring(s, e)));
        return out;
    }

    @Test
    void splitsLikeGpt2() {
        assertEquals(List.of("Hello", ",", " world", "!!", "  ", " it", "'s", " 42", "\n\n", "\t", "x"),
                scanner("Hello, world!!   it's 42\n\n\tx"));
        assertEquals(List.of("a", "   \n"), scanner("a   \n")); // whitespace before the end stays whole
        assertEquals(List.of("a", "   ", "\n", "b"), scanner("a   \nb")); // the last one joins no word: not a space
        assertEquals(regex(TestTokenizers.TRICKY), scanner(TestTokenizers.TRICKY));
    }

    @Test
    void agreesWithTheRegexOnRandomText() {
        String[] pool = {"a", "Z", "é", "ß", "日", "本", "😀", "👍🏽", "1", "٣", "½", " ", " ", " ", "\t", "\n", "\r\n",
                "\u00a0", "\u3000", "\u2009", "\u0085", "'", "'s", "'ll", "'t", "!", ".", ",", "-", "\"", "<|", "|>", "_"};
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            StringBuilder text = new StringBuilder();
            int n = 1 + random.nextInt(30);
            for (int i = 0; i < n; i++) {
                text.append(pool[random.nextInt(pool.length)]);
            }
            String t = text.toString();
            assertEquals(regex(t), scanner(t), () -> "text: " + t.replace("\n", "\\n"));
        }
    }
}
