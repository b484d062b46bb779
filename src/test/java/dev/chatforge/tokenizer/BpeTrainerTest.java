package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    private static List<String> mergeStrings(BpeTrainer.Result r) {
        return r.merges().stream().map(m -> m[0] + " " + m[1]).toList();
    }

    @Test
    void learnsTheMostFrequentPairsWithTheStatedTieBreak() {
        Map<String, Long> counts = Map.of("low", 5L, "lower", 2L, "newest", 6L, "widest", 3L);
        BpeTrainer.Result r = BpeTrainer.train(counts, 256 + 7 + 4, 1, ChatTemplate.SPECIAL_TOKENS);
        // "e s" and "s t" both occur 9 times: the pair with smaller ids wins; then "l o" over "o w" (7 each).
        assertEquals(List.of("e s", "es t", "l o", "lo w"), mergeStrings(r));
        assertEquals("est", r.vocab().get(256 + 7 + 1));
        // ids: 256 bytes in GPT-2's order, then the special tokens
        assertEquals("!", r.vocab().get(0));
        assertEquals("Ġ", r.vocab().get(220));
        assertEquals(ChatTemplate.SPECIAL_TOKENS, r.vocab().subList(256, 263));
        assertEquals(List.of(256, 257, 258, 259, 260, 261, 262), r.specialIds());
    }

    @Test
    void minFrequencyStopsTraining() {
        Map<String, Long> counts = Map.of("xyz", 1L, "cd", 3L);
        BpeTrainer.Result r = BpeTrainer.train(counts, 1000, 2, List.of(ChatTemplate.END_OF_TEXT));
        assertEquals(List.of("c d"), mergeStrings(r));
        assertEquals(256 + 1 + 1, r.vocab().size());
    }

    @Test
    void overlappingPairsAreCountedAndMergedLeftToRight() {
        BpeTrainer.Result r = BpeTrainer.train(Map.of("aaaa", 1L), 256 + 3, 1, List.of());
        assertEquals(List.of("a a", "aa aa"), mergeStrings(r));
    }

    @Test
    void resultDoesNotDependOnMapOrderOrThreads() {
        WordCounter one = WordCounter.countAll(TestTokenizers.corpus(), ChatTemplate.SPECIAL_TOKENS, 1);
        WordCounter two = WordCounter.countAll(TestTokenizers.corpus(), ChatTemplate.SPECIAL_TOKENS, 2);
        Map<String, Long> tree = new TreeMap<>(one.counts());
        Map<String, Long> reversed = new LinkedHashMap<>();
        new TreeMap<>(two.counts()).descendingMap().forEach(reversed::put);
        byte[] a = BpeTrainer.train(tree, 500, 2, ChatTemplate.SPECIAL_TOKENS).toTokenizerJson();
        byte[] b = BpeTrainer.train(reversed, 500, 2, ChatTemplate.SPECIAL_TOKENS).toTokenizerJson();
        byte[] c = BpeTrainer.train(new HashMap<>(tree), 500, 2, ChatTemplate.SPECIAL_TOKENS).toTokenizerJson();
        assertArrayEquals(a, b);
        assertArrayEquals(a, c);
    }

    @Test
    void specialTokensAreNeverPartOfLearnedTokens() {
        WordCounter counter = new WordCounter(ChatTemplate.SPECIAL_TOKENS);
        for (int i = 0; i < 200; i++) {
            counter.add("<|user|>hello there<|end|><|agent|>general kenobi<|end|><|endoftext|>[INST] hi [/INST]");
        }
        BpeTrainer.Result r = BpeTrainer.train(counter.counts(), 600, 2, ChatTemplate.SPECIAL_TOKENS);
        for (int id = 263; id < r.vocab().size(); id++) {
            String token = r.vocab().get(id);
            assertFalse(token.contains("user") || token.contains("agent") || token.contains("INST")
                    || token.contains("endoftext"), token);
        }
        assertTrue(r.merges().size() > 5);
    }
}
