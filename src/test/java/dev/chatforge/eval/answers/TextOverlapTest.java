package dev.chatforge.eval.answers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextOverlapTest {

    @Test
    void tokensAreLowercaseRunsOfLettersAndDigitsAsRougeScoreSplitsThem() {
        assertEquals(List.of("order", "51753", "isn", "t", "here", "caf"), TextOverlap.tokens("Order #51753 isn't here—café!"));
        assertEquals(List.of(), TextOverlap.tokens("  ... !! "));
    }

    @Test
    void rougeLOfRougeScoresReadmeExample() {
        // rouge-score's README pair: LCS "the quick brown jumps the" = 5 of 9 reference and 8 generated tokens
        TextOverlap.Scores s = TextOverlap.score("The quick brown fox jumps over the lazy dog",
                "The quick brown dog jumps on the log.");
        double p = 5.0 / 8;
        double r = 5.0 / 9;
        assertEquals(2 * p * r / (p + r), s.rougeL(), 1e-12);
        // bag overlap: the×2, quick, brown, dog, jumps = 6 of 8 generated and 9 reference tokens
        assertEquals(2 * (6.0 / 8) * (6.0 / 9) / (6.0 / 8 + 6.0 / 9), s.tokenF1(), 1e-12);
        assertEquals(0, s.exactMatch());
    }

    @Test
    void exactMatchIgnoresCaseAndPunctuationOnly() {
        assertEquals(1, TextOverlap.score("Of course, I'll help.", "of course i ll help").exactMatch());
        assertEquals(0, TextOverlap.score("of course", "of course!! sure").exactMatch());
        assertEquals(0, TextOverlap.score("anything", "").rougeL());
    }

    @Test
    void lcsEqualsAnIndependentRecursiveLcsOnRandomTexts() {
        Random random = new Random(11);
        String[] words = {"a", "b", "c", "d", "order", "refund"};
        for (int trial = 0; trial < 300; trial++) {
            List<String> x = randomWords(random, words, random.nextInt(9));
            List<String> y = randomWords(random, words, random.nextInt(9));
            int lcs = recursiveLcs(x, y, x.size(), y.size());
            assertEquals(lcs, TextOverlap.longestCommonSubsequence(x, y), x + " / " + y);
            double expected = x.isEmpty() || y.isEmpty() || lcs == 0 ? 0
                    : 2.0 * lcs / y.size() * lcs / x.size() / ((double) lcs / y.size() + (double) lcs / x.size());
            assertEquals(expected, TextOverlap.score(String.join(" ", x), String.join(" ", y)).rougeL(), 1e-12);
        }
    }

    private static List<String> randomWords(Random random, String[] words, int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = words[random.nextInt(words.length)];
        }
        return List.of(out);
    }

    /** The textbook recursion, exponential but fine for nine words. */
    private static int recursiveLcs(List<String> x, List<String> y, int i, int j) {
        if (i == 0 || j == 0) {
            return 0;
        }
        if (x.get(i - 1).equals(y.get(j - 1))) {
            return 1 + recursiveLcs(x, y, i - 1, j - 1);
        }
        return Math.max(recursiveLcs(x, y, i - 1, j), recursiveLcs(x, y, i, j - 1));
    }
}
