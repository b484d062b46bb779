package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The plain-Java decoder computes what {@link GPT2#forward} computes. */
class GPT2DecoderTest {

    @Test
    void tokenByTokenLogitsEqualTheTensorForwardForBothGelus() {
        for (String activation : new String[] {"gelu", "gelu_new"}) {
            GPT2Config config = new GPT2Config(61, 24, 32, 2, 4, activation, 0, 0, 0, 1e-5, 0.3);
            try (GPT2 model = GPT2.create(config, Device.cpu(), 3)) {
                int[] tokens = new Random(4).ints(20, 0, 61).toArray();
                GPT2Decoder.Session session = new GPT2Decoder(model).newSession();
                session.append(Arrays.copyOf(tokens, 5));
                for (int n = 6; n <= tokens.length; n++) {
                    float[] cached = session.append(new int[] {tokens[n - 1]});
                    assertArrayEquals(lastLogits(model, Arrays.copyOf(tokens, n)), cached, 1e-4f,
                            activation + ", after " + n + " tokens");
                }
                assertEquals(tokens.length, session.length());
            }
        }
    }

    /** Continuous batching: one step for sequences of different lengths gives each its own logits. */
    @Test
    void aBatchedStepGivesEachSessionTheLogitsOfItsOwnStep() {
        GPT2Config config = new GPT2Config(61, 24, 128, 2, 4, "gelu_new", 0, 0, 0, 1e-5, 0.3);
        try (GPT2 model = GPT2.create(config, Device.cpu(), 3)) {
            GPT2Decoder decoder = new GPT2Decoder(model);
            Random random = new Random(9);
            int n = 5; // a few rows: the products split the weight rows between cores
            GPT2Decoder.Session[] batched = new GPT2Decoder.Session[n];
            GPT2Decoder.Session[] single = new GPT2Decoder.Session[n];
            for (int i = 0; i < n; i++) {
                int[] prompt = random.ints(2 + 3 * i, 0, 61).toArray();
                batched[i] = decoder.newSession();
                single[i] = decoder.newSession();
                batched[i].append(prompt);
                single[i].append(prompt);
            }
            for (int step = 0; step < 4; step++) {
                int[] tokens = random.ints(n, 0, 61).toArray();
                float[][] together = decoder.appendEach(batched, tokens);
                for (int i = 0; i < n; i++) {
                    assertArrayEquals(single[i].append(new int[] {tokens[i]}), together[i], 1e-4f,
                            "sequence " + i + ", step " + step);
                    assertEquals(single[i].length(), batched[i].length());
                }
            }
            assertThrows(IllegalArgumentException.class,
                    () -> decoder.appendEach(new GPT2Decoder.Session[] {batched[0], batched[0]}, new int[] {1, 2}));
        }
    }

    @Test
    void aLongPromptAtOnceTakesTheParallelPathAndMatches() {
        // 40 rows × 128 wide: large enough for the row-parallel products, attention and GELU.
        GPT2Config config = new GPT2Config(97, 64, 128, 2, 4, "gelu", 0, 0, 0, 1e-5, 0.1);
        try (GPT2 model = GPT2.create(config, Device.cpu(), 9)) {
            int[] tokens = new Random(2).ints(40, 0, 97).toArray();
            GPT2Decoder.Session session = new GPT2Decoder(model).newSession();
            assertArrayEquals(lastLogits(model, tokens), session.append(tokens), 1e-4f);
            int[] longer = Arrays.copyOf(tokens, 41);
            longer[40] = 5;
            assertArrayEquals(lastLogits(model, longer), session.append(new int[] {5}), 1e-4f);
        }
    }

    @Test
    void oneTokenThroughALargeProductSplitsItsWeightRowsAndMatches() {
        // A 16,411 × 64 tied head: one row times it is over a million multiply-adds, so the
        // product is split by weight rows between the cores (on a machine with more than one).
        GPT2Config config = new GPT2Config(16_411, 16, 64, 1, 2, "gelu_new", 0, 0, 0, 1e-5, 0.2);
        try (GPT2 model = GPT2.create(config, Device.cpu(), 5)) {
            int[] tokens = new Random(6).ints(6, 0, 16_411).toArray();
            GPT2Decoder.Session session = new GPT2Decoder(model).newSession();
            for (int n = 1; n <= tokens.length; n++) {
                assertArrayEquals(lastLogits(model, Arrays.copyOf(tokens, n)), session.append(new int[] {tokens[n - 1]}),
                        1e-4f, "after " + n + " tokens");
            }
        }
    }

    @Test
    void normalCdfIsWithinFloatPrecisionEverywhere() {
        for (double x = -10; x <= 10; x += 0.001) {
            double exact = 0.5 * (1 + GPT2Decoder.erf(x / Math.sqrt(2)));
            assertEquals(exact, GPT2Decoder.normalCdf(x), 1e-7, "Φ(" + x + ")");
        }
        assertEquals(0.5, GPT2Decoder.normalCdf(0), 6e-8); // float32 resolution near 0.5
        assertEquals(0.8413447460685429, GPT2Decoder.normalCdf(1), 2e-7); // Φ(1), from tables
        assertTrue(Double.isNaN(GPT2Decoder.normalCdf(Double.NaN)));
        assertEquals(1, GPT2Decoder.normalCdf(Double.POSITIVE_INFINITY));
        assertEquals(0, GPT2Decoder.normalCdf(Double.NEGATIVE_INFINITY));
    }

    @Test
    void refusesTooManyTokensAndUnknownIds() {
        GPT2Config config = new GPT2Config(11, 8, 16, 1, 2, "gelu", 0, 0, 0, 1e-5, 0.02);
        try (GPT2 model = GPT2.create(config, Device.cpu(), 1)) {
            GPT2Decoder.Session session = new GPT2Decoder(model).newSession();
            session.append(new int[] {1, 2, 3, 4, 5, 6});
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> session.append(new int[] {1, 2, 3}));
            assertTrue(tooLong.getMessage().contains("longer than n_positions = 8"), tooLong.getMessage());
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> session.append(new int[] {11}));
            assertTrue(unknown.getMessage().contains("token id 11"), unknown.getMessage());
            assertEquals(6, session.length(), "a refused append leaves the cache as it was");
        }
    }

    @Test
    void heapEstimateCountsWeightsTheTransposedHeadAndTheCache() {
        GPT2Config gpt2 = GPT2Config.preset("gpt2");
        long expected = 4L * (gpt2.parameterCount() + 50257L * 768 + 2L * 12 * 1024 * 768);
        assertEquals(expected, GPT2Decoder.heapBytes(gpt2));
        assertTrue(GPT2Decoder.fitsInHeap(gpt2, 2 * expected));
        assertTrue(!GPT2Decoder.fitsInHeap(gpt2, 2 * expected - 1), "needs twice its size in heap");
    }

    private static float[] lastLogits(GPT2 model, int[] tokens) {
        try (NDManager m = model.manager().newSubManager()) {
            long[] ids = Arrays.stream(tokens).asLongStream().toArray();
            NDArray logits = model.forward(m.create(ids, new Shape(1, ids.length)), false);
            return logits.get(new NDIndex(0, tokens.length - 1)).toFloatArray();
        }
    }
}
