package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {

    /** Logits whose softmax is exactly {@code probs}. */
    private static float[] logitsOf(double... probs) {
        float[] logits = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            logits[i] = probs[i] == 0 ? Float.NEGATIVE_INFINITY : (float) Math.log(probs[i]);
        }
        return logits;
    }

    /** Ids with non-zero probability. */
    private static List<Integer> kept(Sampler sampler, float[] logits) {
        double[] p = sampler.probabilities(logits);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                ids.add(i);
            }
        }
        return ids;
    }

    @Test
    void greedyIsArgmaxWithLowestIdOnTies() {
        Sampler greedy = Sampler.greedy();
        assertEquals(2, greedy.sample(new float[] {0.1f, -3f, 5f, 4.9f}));
        assertEquals(1, greedy.sample(new float[] {0f, 7f, 7f, 1f}));
        Sampler temperatureZero = new Sampler(0, 3, 0.5, 99);
        assertEquals(3, temperatureZero.sample(new float[] {1f, 2f, 3f, 9f}), "temperature 0 ignores top-k/top-p and seed");
    }

    @Test
    void sameSeedGivesSameTokensAndAnotherSeedDiffers() {
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i * 1.7);
        }
        int[] first = draw(new Sampler(1.0, 0, 1.0, 42), logits, 200);
        int[] again = draw(new Sampler(1.0, 0, 1.0, 42), logits, 200);
        int[] other = draw(new Sampler(1.0, 0, 1.0, 43), logits, 200);
        assertArrayEquals(first, again);
        assertNotEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(other));
    }

    private static int[] draw(Sampler sampler, float[] logits, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = sampler.sample(logits);
        }
        return ids;
    }

    @Test
    void topKKeepsExactlyTheKMostLikely() {
        float[] logits = {1f, 5f, 3f, 4f, 2f};
        assertEquals(List.of(1, 3), kept(new Sampler(1, 2, 1, 0), logits));
        assertEquals(List.of(1), kept(new Sampler(1, 1, 1, 0), logits));
        assertEquals(List.of(0, 1, 2, 3, 4), kept(new Sampler(1, 0, 1, 0), logits), "top_k 0 is off");
        assertEquals(List.of(0, 1, 2, 3, 4), kept(new Sampler(1, 9, 1, 0), logits), "k beyond the vocabulary keeps all");
    }

    @Test
    void topKKeepsEveryTokenTiedWithTheKth() {
        // k = 2: the 2nd largest logit is 3, shared by ids 1 and 3, so both stay (as in HF).
        float[] logits = {5f, 3f, 1f, 3f, 2f};
        assertEquals(List.of(0, 1, 3), kept(new Sampler(1, 2, 1, 0), logits));
    }

    @Test
    void topKRenormalisesOverTheKeptTokens() {
        double[] p = new Sampler(1, 2, 1, 0).probabilities(logitsOf(0.4, 0.1, 0.3, 0.2));
        assertEquals(0.4 / 0.7, p[0], 1e-6);
        assertEquals(0.3 / 0.7, p[2], 1e-6);
        assertEquals(0, p[1]);
        assertEquals(0, p[3]);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] logits = logitsOf(0.1, 0.5, 0.15, 0.25);
        // sorted: 0.5 (id 1), 0.25 (id 3), 0.15 (id 2), 0.1 (id 0)
        assertEquals(List.of(1), kept(new Sampler(1, 0, 0.3, 0), logits));
        assertEquals(List.of(1), kept(new Sampler(1, 0, 0.5, 0), logits), "mass exactly p stops there");
        assertEquals(List.of(1, 3), kept(new Sampler(1, 0, 0.51, 0), logits));
        assertEquals(List.of(1, 3), kept(new Sampler(1, 0, 0.75, 0), logits), "0.5 + 0.25 reaches 0.75 exactly");
        assertEquals(List.of(1, 2, 3), kept(new Sampler(1, 0, 0.76, 0), logits));
        assertEquals(List.of(0, 1, 2, 3), kept(new Sampler(1, 0, 0.95, 0), logits));
    }

    @Test
    void topPKeepsTokensTiedAtTheBoundary() {
        // 0.4 reaches p = 0.3 alone, but id 2 has the same probability: both stay.
        float[] logits = logitsOf(0.2, 0.4, 0.4);
        assertEquals(List.of(1, 2), kept(new Sampler(1, 0, 0.3, 0), logits));
    }

    @Test
    void topPAppliesAfterTopKOnTheRenormalisedDistribution() {
        // top-k 2 leaves 0.4 and 0.3, renormalised to 4/7 and 3/7; p = 0.5 then keeps id 0 only,
        // p = 0.6 needs both.
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);
        assertEquals(List.of(0), kept(new Sampler(1, 2, 0.5, 0), logits));
        assertEquals(List.of(0, 1), kept(new Sampler(1, 2, 0.6, 0), logits));
    }

    @Test
    void temperatureSharpensAndFlattens() {
        float[] logits = logitsOf(0.6, 0.4);
        double cold = new Sampler(0.5, 0, 1, 0).probabilities(logits)[0];
        double hot = new Sampler(2.0, 0, 1, 0).probabilities(logits)[0];
        assertEquals(0.36 / (0.36 + 0.16), cold, 1e-6);
        assertEquals(Math.sqrt(0.6) / (Math.sqrt(0.6) + Math.sqrt(0.4)), hot, 1e-6);
    }

    @Test
    void samplesOnlyKeptTokensWithTheirFrequencies() {
        Sampler sampler = new Sampler(1, 2, 1, 7);
        float[] logits = logitsOf(0.5, 0.05, 0.25, 0.2);
        int[] counts = new int[4];
        for (int i = 0; i < 20_000; i++) {
            counts[sampler.sample(logits)]++;
        }
        assertEquals(0, counts[1]);
        assertEquals(0, counts[3]);
        assertEquals(2.0 / 3, counts[0] / 20_000.0, 0.02);
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 1.5, 0));
    }
}
