package dev.chatforge.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small trained tokenizers and tricky text for tests. */
final class TestTokenizers {
    private TestTokenizers() {}

    /** Text that exercises every branch of GPT-2's pre-tokenisation and the byte map. */
    static final String TRICKY = String.join("",
            "Café naïve façade — résumé, Ångström; déjà vu.\n",
            "Emoji: 😀👍🏽 🇫🇷 family 👨‍👩‍👧 ok\n",
            "CJK: 你好，世界。日本語のテキスト 한국어\n",
            "tabs:\tone\t\ttwo\t \tthree\n",
            "runs of spaces:  two   three    four     five\n",
            "windows\r\nline\r\n\r\nends \r\n",
            "It's we're they've I'm we'll he'd 'quoted' ''' can't Don'T\n",
            "numbers 3.14159 1,000,000 ½ ² ٣ 42nd\n",
            "nbsp\u00a0here, thin\u2009space, ideographic\u3000space, nel\u0085x\n",
            "symbols !!! ??? ... --- *** ### $$$ @@ && || ~~ ``` <tag attr=\"x\">\n",
            "special tokens inline: <|endoftext|>next<|user|>hi<|end|><|agent|> yo<|end|>[INST] q [/INST] a\n",
            "  leading and trailing spaces   \n\n\n   ",
            "trailing");

    /** A small English-like corpus with some of everything. */
    static List<String> corpus() {
        List<String> texts = new ArrayList<>();
        String[] lines = {
                "The quick brown fox jumps over the lazy dog.",
                "A tokenizer turns text into numbers, and numbers back into text.",
                "Byte-level BPE never meets an unknown character: every byte is a token.",
                "She said: \"it's the model's job to predict the next token\".",
                "In 2024, 12,345 people read 3.5 books each — on average.",
                "Café, naïve, résumé: accents are bytes too.",
                "def main():\n    print('hello, world')\n\treturn 0\n",
        };
        for (int i = 0; i < 40; i++) {
            texts.add(lines[i % lines.length] + " " + lines[(i * 3 + 1) % lines.length]);
        }
        texts.add(TRICKY);
        return texts;
    }

    /** Trains a tokenizer on {@link #corpus()} and writes its tokenizer.json into {@code dir}. */
    static Path trained(Path dir, int vocabSize) throws IOException {
        WordCounter counter = new WordCounter(ChatTemplate.SPECIAL_TOKENS);
        corpus().forEach(counter::add);
        BpeTrainer.Result result = BpeTrainer.train(counter.counts(), vocabSize, 2, ChatTemplate.SPECIAL_TOKENS);
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, result.toTokenizerJson());
        return file;
    }
}
