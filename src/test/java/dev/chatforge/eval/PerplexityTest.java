package dev.chatforge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.train.ArrayTokenSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PerplexityTest {

    /** A GPT-2 whose token embedding is zero: logits are all 0, every prediction uniform. */
    static GPT2 uniformModel(GPT2Config config, NDManager manager) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (GPT2 shape = GPT2.create(config, Device.cpu(), 1)) {
            shape.parameters().forEach((name, p) -> tensors.put(name,
                    name.contains("ln_") && name.endsWith("weight") ? manager.ones(p.getShape()) : manager.zeros(p.getShape())));
        }
        return GPT2.fromTensors(config, Device.cpu(), tensors);
    }

    @Test
    void uniformPredictionsHaveLossLnVocabAndPerplexityVocab() {
        // Hand-computable: p = 1/50 for every token, so loss = ln 50 per token, perplexity = 50,
        // and 999 scored tokens over 2,000 bytes give 999 · log2(50) / 2000 bits per byte.
        GPT2Config config = GPT2Config.of(50, 32, 16, 1, 2);
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); GPT2 model = uniformModel(config, m)) {
            ArrayTokenSource source = ArrayTokenSource.random(1000, 50, 3);
            Perplexity.Result r = Perplexity.evaluate(model, source, 32, 32, 4, null);
            assertEquals(999, r.tokens());
            assertEquals(Math.log(50), r.meanLoss(), 1e-5);
            assertEquals(50, r.perplexity(), 1e-3);
            assertEquals(999 * Math.log(50) / Math.log(2) / 2000, r.bitsPerByte(2000), 1e-5);
        }
    }

    @Test
    void aLossMaskLimitsScoringToTrainedTokens() {
        GPT2Config config = GPT2Config.of(50, 32, 16, 1, 2);
        byte[] mask = new byte[300];
        int trained = 0;
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (byte) ((i / 10) % 2);   // ten context tokens, ten agent tokens, ...
            trained += i >= 1 ? mask[i] : 0;   // token 0 is never scored
        }
        ArrayTokenSource source = new ArrayTokenSource(ArrayTokenSource.random(300, 50, 4).tokens(), mask, 50);
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); GPT2 model = uniformModel(config, m)) {
            Perplexity.Result r = Perplexity.evaluate(model, source, 32, 16, 4, null);
            assertEquals(trained, r.tokens());
            assertEquals(Math.log(50), r.meanLoss(), 1e-5);
        }
    }

    @Test
    void everyTokenAfterTheFirstIsScoredExactlyOnceForAnyStride() {
        for (int size : new int[] {2, 17, 100, 129}) {
            for (int stride : new int[] {1, 5, 16}) {
                int[] times = new int[size];
                List<Perplexity.Window> windows = Perplexity.windows(size, 16, stride);
                for (Perplexity.Window w : windows) {
                    assertEquals(true, w.length() <= 16 && w.begin() + w.length() <= size - 1);
                    for (int t = w.scoreFrom(); t < w.length(); t++) {
                        times[(int) (w.begin() + t + 1)]++;
                    }
                }
                for (int i = 1; i < size; i++) {
                    assertEquals(1, times[i], "token " + i + " of " + size + ", stride " + stride);
                }
            }
        }
    }

    @Test
    void slidingWindowsGiveEachTokenAtLeastBlockMinusStrideContext() {
        for (Perplexity.Window w : Perplexity.windows(200, 16, 4)) {
            if (w.begin() > 0) {
                assertEquals(12, w.scoreFrom());
            }
        }
    }
}
