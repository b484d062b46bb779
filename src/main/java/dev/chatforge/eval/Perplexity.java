package dev.chatforge.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.NativeArrays;
import dev.chatforge.tokenizer.TokenSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores every token of a token source exactly once with a model: token i (i ≥ 1) is predicted
 * from the tokens before it in its window. The first token has no context and is not scored.
 *
 * <p>With {@code stride == blockSize} the windows do not overlap: window k reads tokens
 * [kT, kT + T) and scores all T predictions, so early positions of each window see little
 * context. With a smaller stride, windows start every {@code stride} tokens and score only the
 * predictions no earlier window scored (as Hugging Face's perplexity guide does).
 *
 * <p>With a loss mask (conversations) the loss and perplexity are over mask-1 tokens only (the
 * ones training learns); bits per byte always covers every token, since the byte count is the
 * whole text's.
 */
public final class Perplexity {
    private Perplexity() {}

    /**
     * @param tokens         tokens scored (loss mask 1, or all without a mask)
     * @param lossSumNats    Σ −ln p(token | context) over them
     * @param allTokens      every token after the first, mask or not
     * @param allLossSumNats Σ −ln p over all of them (for bits per byte of the whole text)
     */
    public record Result(long tokens, double lossSumNats, long allTokens, double allLossSumNats, double seconds) {
        public double meanLoss() {
            return lossSumNats / tokens;
        }

        public double perplexity() {
            return Math.exp(meanLoss());
        }

        /** Σ loss over all tokens in bits / UTF-8 bytes of the text: comparable across tokenizers. */
        public double bitsPerByte(long textBytes) {
            return allLossSumNats / Math.log(2) / textBytes;
        }
    }

    /** A window: inputs tokens[begin, begin + length), predictions scored from {@code scoreFrom}. */
    record Window(long begin, int length, int scoreFrom) {}

    /** The windows that score each of tokens 1 .. size − 1 once. */
    static List<Window> windows(long size, int blockSize, int stride) {
        List<Window> windows = new ArrayList<>();
        long scored = 0; // predictions made so far: tokens 1 .. scored
        for (long begin = 0; scored < size - 1; begin += stride) {
            long end = Math.min(begin + blockSize, size - 1); // inputs begin .. end-1 predict begin+1 .. end
            int length = (int) (end - begin);
            int scoreFrom = (int) Math.max(0, scored - begin); // first prediction not yet scored
            windows.add(new Window(begin, length, scoreFrom));
            scored = end;
        }
        return windows;
    }

    public static Result evaluate(GPT2 model, TokenSource source, int blockSize, int stride, int batchSize,
                                  dev.chatforge.io.Progress progress) {
        if (stride <= 0 || stride > blockSize) {
            throw new IllegalArgumentException("stride must be in 1 .. block_size (" + blockSize + "), got " + stride);
        }
        long start = System.nanoTime();
        List<Window> windows = windows(source.size(), blockSize, stride);
        double lossSum = 0;
        double allLossSum = 0;
        long scored = 0;
        long all = 0;
        int i = 0;
        while (i < windows.size()) {
            // a batch of consecutive windows of the same length (all but possibly the last)
            int length = windows.get(i).length();
            int j = i;
            while (j < windows.size() && j - i < batchSize && windows.get(j).length() == length) {
                j++;
            }
            int rows = j - i;
            int[] inputs = new int[rows * length];
            int[] targets = new int[rows * length];
            float[] weights = new float[rows * length];
            float[] counted = new float[rows * length]; // scored by this window, ignoring the mask
            int[] window = new int[length + 1];
            byte[] mask = new byte[length + 1];
            for (int r = 0; r < rows; r++) {
                Window w = windows.get(i + r);
                source.read(w.begin(), window);
                source.readMask(w.begin(), mask);
                System.arraycopy(window, 0, inputs, r * length, length);
                System.arraycopy(window, 1, targets, r * length, length);
                for (int t = w.scoreFrom(); t < length; t++) {
                    weights[r * length + t] = mask[t + 1]; // all ones without a mask
                    counted[r * length + t] = 1;
                    scored += mask[t + 1];
                    all++;
                }
            }
            try (NDManager m = model.manager().newSubManager()) {
                Shape shape = new Shape(rows, length);
                NDArray losses = model.tokenLosses(NativeArrays.of(m, inputs, shape), NativeArrays.of(m, targets, shape));
                lossSum += losses.mul(NativeArrays.of(m, weights, shape)).sum().getFloat();
                allLossSum += losses.mul(NativeArrays.of(m, counted, shape)).sum().getFloat();
            }
            if (progress != null) {
                progress.update(all); // predictions scored so far: overlapping windows count each token once
            }
            i = j;
        }
        return new Result(scored, lossSum, all, allLossSum, (System.nanoTime() - start) / 1e9);
    }
}
