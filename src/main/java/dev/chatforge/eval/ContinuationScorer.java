package dev.chatforge.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.io.Progress;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.NativeArrays;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss of a continuation given its context, the primitive of LAMBADA and HellaSwag (and of
 * lm-evaluation-harness's {@code loglikelihood}): the model reads context + continuation and each
 * continuation token is scored from everything before it. A sequence longer than the model's
 * context keeps its last n_positions + 1 tokens (the context is cut on the left, as the harness
 * does). Sequences are scored in batches, right-padded: padding comes after every scored
 * position, so causal attention never lets it change a score.
 */
public final class ContinuationScorer {
    private ContinuationScorer() {}

    /** A context (at least one token) and the tokens whose loss is wanted after it. */
    public record Request(int[] context, int[] continuation) {
        public Request {
            if (context.length == 0) {
                throw new IllegalArgumentException("a continuation needs at least one context token");
            }
            if (continuation.length == 0) {
                throw new IllegalArgumentException("an empty continuation has no loss");
            }
        }
    }

    /**
     * @param losses −ln p of each continuation token, in order
     * @param greedy whether each continuation token is the model's most likely next token (only
     *               computed when asked; false otherwise)
     */
    public record Scored(float[] losses, boolean greedy) {
        public double sum() {
            double s = 0;
            for (float l : losses) {
                s += l;
            }
            return s;
        }

        public double mean() {
            return sum() / losses.length;
        }
    }

    public static List<Scored> score(GPT2 model, List<Request> requests, int batchSize, boolean greedy, Progress progress) {
        int block = model.config().nPositions();
        List<Scored> out = new ArrayList<>(requests.size());
        for (int from = 0; from < requests.size(); from += batchSize) {
            List<Request> batch = requests.subList(from, Math.min(requests.size(), from + batchSize));
            int[][] sequences = new int[batch.size()][];
            int length = 0;
            for (int r = 0; r < batch.size(); r++) {
                Request q = batch.get(r);
                if (q.continuation().length > block) {
                    throw new IllegalArgumentException("a continuation of " + q.continuation().length
                            + " tokens does not fit the model's context of " + block);
                }
                int[] full = new int[q.context().length + q.continuation().length];
                System.arraycopy(q.context(), 0, full, 0, q.context().length);
                System.arraycopy(q.continuation(), 0, full, q.context().length, q.continuation().length);
                int keep = Math.min(full.length, block + 1);
                sequences[r] = java.util.Arrays.copyOfRange(full, full.length - keep, full.length);
                length = Math.max(length, keep - 1);
            }
            int rows = batch.size();
            int[] inputs = new int[rows * length];
            int[] targets = new int[rows * length];
            for (int r = 0; r < rows; r++) {
                int[] s = sequences[r];
                System.arraycopy(s, 0, inputs, r * length, s.length - 1);
                System.arraycopy(s, 1, targets, r * length, s.length - 1);
            }
            float[] losses;
            long[] predicted = null;
            try (NDManager m = model.manager().newSubManager()) {
                Shape shape = new Shape(rows, length);
                NDArray in = NativeArrays.of(m, inputs, shape);
                losses = model.tokenLosses(in, NativeArrays.of(m, targets, shape)).toFloatArray();
                if (greedy) {
                    predicted = model.forward(in, false).argMax(2).toLongArray();
                }
            }
            for (int r = 0; r < rows; r++) {
                int n = batch.get(r).continuation().length;
                int last = sequences[r].length - 1; // predictions 0 .. last-1 are real, the rest padding
                float[] mine = new float[n];
                boolean match = greedy;
                for (int k = 0; k < n; k++) {
                    int position = r * length + last - n + k;
                    mine[k] = losses[position];
                    if (greedy && predicted[position] != targets[position]) {
                        match = false;
                    }
                }
                out.add(new Scored(mine, match));
            }
            if (progress != null) {
                progress.add(rows);
            }
        }
        return out;
    }
}
