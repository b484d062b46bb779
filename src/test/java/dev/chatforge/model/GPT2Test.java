package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GPT2Test {
    static final GPT2Config CONFIG = GPT2Config.of(64, 16, 32, 2, 4);
    static GPT2 model;

    @BeforeAll
    static void create() {
        model = GPT2.create(CONFIG, Device.cpu(), 7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] randomTokens(int n, int vocab, long seed) {
        java.util.Random r = new java.util.Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    @Test
    void logitsHaveShapeBatchTimeVocab() {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray tokens = step.create(randomTokens(3 * 10, 64, 1), new Shape(3, 10));
            NDArray logits = model.forward(tokens, false);
            assertEquals(new Shape(3, 10, 64), logits.getShape());
        }
    }

    @Test
    void parameterNamesAndShapesFollowHuggingFaceGpt2() {
        Map<String, NDArray> p = model.parameters();
        assertEquals(new Shape(64, 32), p.get("transformer.wte.weight").getShape());
        assertEquals(new Shape(16, 32), p.get("transformer.wpe.weight").getShape());
        assertEquals(new Shape(32, 96), p.get("transformer.h.0.attn.c_attn.weight").getShape()); // Conv1D (in, out)
        assertEquals(new Shape(128, 32), p.get("transformer.h.1.mlp.c_proj.weight").getShape());
        assertEquals(new Shape(32), p.get("transformer.ln_f.bias").getShape());
        assertEquals(2 + 12 * 2 + 2, p.size());
        long count = p.values().stream().mapToLong(NDArray::size).sum();
        assertEquals(CONFIG.parameterCount(), count);
    }

    @Test
    void presetGpt2HasThePublishedParameterCount() {
        // 124,439,808 parameters with the tied head counted once (nanoGPT prints 124.44M).
        assertEquals(124_439_808L, GPT2Config.preset("gpt2").parameterCount());
        assertEquals(354_823_168L, GPT2Config.preset("gpt2-medium").parameterCount());
    }

    @Test
    void changingALaterTokenNeverChangesEarlierLogits() {
        int t = 12;
        int[] a = randomTokens(t, 64, 2);
        int[] b = a.clone();
        b[8] = (a[8] + 1) % 64;
        try (NDManager step = model.manager().newSubManager()) {
            float[] la = model.forward(step.create(a, new Shape(1, t)), false).toFloatArray();
            float[] lb = model.forward(step.create(b, new Shape(1, t)), false).toFloatArray();
            int v = 64;
            assertArrayEquals(Arrays.copyOfRange(la, 0, 8 * v), Arrays.copyOfRange(lb, 0, 8 * v), 0f,
                    "positions before the change must be bit-identical");
            assertTrue(maxDiff(Arrays.copyOfRange(la, 8 * v, 9 * v), Arrays.copyOfRange(lb, 8 * v, 9 * v)) > 1e-4,
                    "the changed position itself must change");
        }
    }

    @Test
    void untrainedLossIsAboutLnVocab() {
        GPT2Config config = GPT2Config.of(512, 32, 32, 2, 2);
        try (GPT2 fresh = GPT2.create(config, Device.cpu(), 3); NDManager step = fresh.manager().newSubManager()) {
            int[] tokens = randomTokens(4 * 33, 512, 4);
            int[] in = new int[4 * 32];
            int[] out = new int[4 * 32];
            for (int r = 0; r < 4; r++) {
                System.arraycopy(tokens, r * 33, in, r * 32, 32);
                System.arraycopy(tokens, r * 33 + 1, out, r * 32, 32);
            }
            float loss = fresh.tokenLosses(step.create(in, new Shape(4, 32)), step.create(out, new Shape(4, 32))).mean()
                    .getFloat();
            assertEquals(Math.log(512), loss, 0.05, "small init ⇒ near-uniform predictions");
        }
    }

    @Test
    void cachedIncrementalLogitsEqualFullForward() {
        int t = 11;
        int[] tokens = randomTokens(2 * t, 64, 5);
        try (NDManager step = model.manager().newSubManager(); GPT2.KVCache cache = model.newCache()) {
            float[] full = model.forward(step.create(tokens, new Shape(2, t)), false).toFloatArray();
            // A 4-token prompt, then one token at a time, as generation does.
            float[] incremental = new float[full.length];
            int v = 64;
            int done = 0;
            for (int chunk : new int[] {4, 1, 1, 3, 1, 1}) {
                int[] part = new int[2 * chunk];
                for (int r = 0; r < 2; r++) {
                    System.arraycopy(tokens, r * t + done, part, r * chunk, chunk);
                }
                float[] logits = model.forward(step.create(part, new Shape(2, chunk)), cache).toFloatArray();
                for (int r = 0; r < 2; r++) {
                    System.arraycopy(logits, r * chunk * v, incremental, (r * t + done) * v, chunk * v);
                }
                done += chunk;
            }
            assertEquals(t, cache.length());
            assertTrue(maxDiff(full, incremental) < 1e-4, "max diff " + maxDiff(full, incremental));
        }
    }

    @Test
    void cacheRefusesToGrowPastTheContext() {
        try (NDManager step = model.manager().newSubManager(); GPT2.KVCache cache = model.newCache()) {
            model.forward(step.create(randomTokens(16, 64, 6), new Shape(1, 16)), cache);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(step.create(new int[] {1}, new Shape(1, 1)), cache));
            assertTrue(e.getMessage().contains("n_positions = 16"), e.getMessage());
        }
    }

    /**
     * The block intermediates are freed as the forward pass goes (DJL would keep them all until the
     * caller's manager closes): what stays with the caller is a handful of arrays per block (its
     * output), not the dozens each block makes, in training and in evaluation. Gradients stay right
     * (TiedHeadLossTest, GradientLifetimeTest).
     */
    @Test
    void aForwardPassKeepsOnlyEachBlocksOutputWithTheCaller() {
        int blocks = CONFIG.nLayer();
        for (boolean training : new boolean[] {false, true}) {
            try (NDManager step = model.manager().newSubManager();
                 ai.djl.training.GradientCollector collector = training
                         ? ai.djl.engine.Engine.getInstance().newGradientCollector() : null) {
                NDArray tokens = step.create(randomTokens(2 * 16, 64, 3), new Shape(2, 16));
                model.hidden(tokens, training);
                int kept = step.getManagedArrays().size();
                assertTrue(kept <= 2 * blocks + 12, "training " + training + ": " + kept + " arrays kept for " + blocks + " blocks");
            }
        }
    }

    /**
     * Dropout in training draws its masks from PyTorch's generator (the trainer seeds it per step,
     * so a resumed run draws the same masks); evaluation has none.
     */
    @Test
    void trainingDropoutFollowsTheSeedAndEvaluationHasNone() {
        try (GPT2 dropped = GPT2.create(CONFIG.withDropout(0.1), Device.cpu(), 7);
             NDManager step = dropped.manager().newSubManager()) {
            NDArray tokens = step.create(randomTokens(2 * 16, 64, 3), new Shape(2, 16));
            float[] evaluation = dropped.hidden(tokens, false).toFloatArray();
            assertArrayEquals(model.hidden(tokens, false).toFloatArray(), evaluation, 1e-6f, "same weights, no dropout");
            float[][] training = new float[3][];
            long[] seeds = {5, 5, 6};
            for (int i = 0; i < seeds.length; i++) {
                ai.djl.engine.Engine.getInstance().setRandomSeed((int) seeds[i]);
                training[i] = dropped.hidden(tokens, true).toFloatArray();
            }
            assertArrayEquals(training[0], training[1], 0f, "same seed, same masks");
            assertFalse(Arrays.equals(training[0], training[2]), "another seed, other masks");
            assertFalse(Arrays.equals(training[0], evaluation), "training drops");
        }
    }

    @Test
    void forwardLeavesNoArraysInTheModelManager() {
        int before = model.manager().getManagedArrays().size();
        try (NDManager step = model.manager().newSubManager(); GPT2.KVCache cache = model.newCache()) {
            model.forward(step.create(randomTokens(8, 64, 8), new Shape(1, 8)), false);
            model.forward(step.create(randomTokens(3, 64, 8), new Shape(1, 3)), cache);
            model.forward(step.create(randomTokens(1, 64, 8), new Shape(1, 1)), cache);
        }
        assertEquals(before, model.manager().getManagedArrays().size());
    }

    @Test
    void tanhGeluIsWithinAThousandthOfExactGelu() {
        GPT2Config tanh = new GPT2Config(64, 16, 32, 2, 4, "gelu_new", 0, 0, 0, 1e-5, 0.02);
        try (GPT2 a = GPT2.create(CONFIG, Device.cpu(), 9); GPT2 b = GPT2.create(tanh, Device.cpu(), 9);
             NDManager step = a.manager().newSubManager()) {
            int[] tokens = randomTokens(10, 64, 9);
            float[] la = a.forward(step.create(tokens, new Shape(1, 10)), false).toFloatArray();
            float[] lb = b.forward(step.create(tokens, new Shape(1, 10)), false).toFloatArray();
            assertTrue(maxDiff(la, lb) < 1e-2 && maxDiff(la, lb) > 0, "diff " + maxDiff(la, lb));
        }
    }

    @Test
    void safetensorsRoundTripGivesIdenticalLogits(@TempDir Path dir) {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, model.parameters(), Map.of());
        int[] tokens = randomTokens(10, 64, 10);
        try (NDManager loading = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> tensors = SafeTensors.read(file, loading);
            assertEquals(model.parameters().keySet(), tensors.keySet());
            try (GPT2 copy = GPT2.fromTensors(CONFIG, Device.cpu(), tensors);
                 NDManager step = model.manager().newSubManager()) {
                float[] la = model.forward(step.create(tokens, new Shape(1, 10)), false).toFloatArray();
                float[] lb = copy.forward(step.create(tokens, new Shape(1, 10)), false).toFloatArray();
                assertArrayEquals(la, lb, 0f);
            }
        }
    }

    @Test
    void configRejectsHeadsThatDoNotDivideTheWidth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GPT2Config.of(64, 16, 30, 2, 4));
        assertTrue(e.getMessage().contains("multiple of n_head"), e.getMessage());
    }

    static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
