package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * GPT-2's LM head (logits = h · wteᵀ over the whole vocabulary) and its cross-entropy, computed a
 * few rows at a time and differentiated by hand rather than by autograd.
 *
 * <p>Why: at GPT-2's vocabulary (50,257) the logits of one batch of 4 × 256 are 206 MB of fp32, and
 * autograd kept the logits, their log-softmax and two gradients of that size alive at once. glibc
 * serves every block above its mmap threshold (32 MB, see the launcher) from fresh pages, so each
 * step also paid for the kernel zeroing about a gigabyte. Here each chunk of logits stays under
 * 24 MB and is reused from the heap; only the gradient of the logits is kept for all rows (the
 * token embedding's gradient needs them all), in one buffer reused from step to step. Targets of
 * weight 0 (the prompt of a conversation) are skipped: their logits are never computed.
 *
 * <p>The gradient is the textbook one: for a row with NLL weight w and target y,
 * ∂loss/∂logits = w · (softmax(logits) − onehot(y)); then ∂loss/∂h = ∂loss/∂logits · wte and
 * ∂loss/∂wte = (∂loss/∂logits)ᵀ · h. The body of the model gets ∂loss/∂h through autograd as the
 * gradient of the surrogate Σ h ⊙ (∂loss/∂h), a constant; ∂loss/∂wte is added to wte's gradient
 * after the backward pass, beside what the token embedding lookup put there.
 *
 * <p>In {@link Precision#BF16} the three products (logits, ∂loss/∂h, ∂loss/∂wte) take bf16 operands
 * (wte and h cast once per micro-batch) and accumulate in fp32; the log-softmax, the loss and the
 * gradient of the logits are computed in fp32, and that gradient is kept in bf16 for ∂loss/∂wte.
 */
public final class TiedHeadLoss implements AutoCloseable {
    /** Floats in one chunk of logits (24 MiB): under the launcher's fixed 32 MB mmap threshold. */
    static final long CHUNK_FLOATS = 6L << 20;
    /** On a GPU: 1 GiB of logits per chunk. */
    static final long GPU_CHUNK_FLOATS = 256L << 20;

    private final GPT2 model;
    private final long chunkFloats;
    private final NDManager manager;
    private NDArray logitGradients; // (rows, vocab) reused by every step; grown when a batch has more rows
    private boolean logitGradientsBf16;

    public TiedHeadLoss(GPT2 model) {
        this(model, chunkFloats(model));
    }

    /**
     * The chunk size for the model's device: the mmap threshold is the CPU's concern; on a GPU
     * (a caching allocator, a launch per op) chunks as large as 1 GB keep the op count small.
     */
    private static long chunkFloats(GPT2 model) {
        return model.device().isGpu() ? GPU_CHUNK_FLOATS : CHUNK_FLOATS;
    }

    /** With chunks of {@code chunkFloats} floats (tests use small ones to cross chunk borders). */
    TiedHeadLoss(GPT2 model, long chunkFloats) {
        this.model = model;
        this.chunkFloats = chunkFloats;
        this.manager = model.manager().newSubManager();
    }

    /**
     * Negative log-likelihood of every target, without gradients: {@code hidden} (…, C) from
     * {@link GPT2#hidden}, {@code targets} of the same leading shape → NLL of that shape, in
     * {@code hidden}'s manager.
     */
    public static NDArray tokenLosses(GPT2 model, NDArray hidden, NDArray targets) {
        return tokenLosses(model, hidden, targets, chunkFloats(model));
    }

    static NDArray tokenLosses(GPT2 model, NDArray hidden, NDArray targets, long chunkFloats) {
        NDManager m = hidden.getManager();
        boolean bf16 = model.precision() == Precision.BF16;
        NDArray wte = bf16 ? model.bf16TokenEmbedding(m) : model.tokenEmbedding(); // cast once for all chunks
        NDArray x = hidden.reshape(-1, model.config().nEmbd());
        NDArray y = targets.toType(DataType.INT64, false).reshape(-1, 1);
        long n = x.getShape().get(0);
        int chunk = rowsPerChunk(chunkFloats, model.config().vocabSize());
        NDList losses = new NDList();
        for (long r0 = 0; r0 < n; r0 += chunk) {
            long r1 = Math.min(n, r0 + chunk);
            try (NDManager c = m.newSubManager()) {
                NDArray logProbabilities = logSoftmaxOfLogits(Slices.rows(x, r0, r1, c), wte, bf16);
                NDArray nll = logProbabilities.gather(Slices.rows(y, r0, r1, c), 1).neg();
                nll.attach(m);
                losses.add(nll);
            }
        }
        return (losses.size() == 1 ? losses.singletonOrThrow() : NDArrays.concat(losses)).reshape(targets.getShape());
    }

    /**
     * The head's forward and backward for one micro-batch: Σ weight · NLL of the targets and what
     * the backward pass needs. Call {@link Pass#addTokenEmbeddingGradient} after backward, before
     * the next call (the passes share one buffer).
     *
     * @param hidden  (B, T, C) from {@link GPT2#hidden} with gradients recorded
     * @param targets B·T target ids
     * @param weights B·T loss weights (0 leaves a target out)
     * @param scale   factor of the loss the gradients are for (1 / the tokens the step trains on)
     */
    public Pass forwardBackward(NDArray hidden, int[] targets, float[] weights, double scale) {
        NDManager m = hidden.getManager();
        long vocab = model.config().vocabSize();
        NDArray all = hidden.reshape(-1, model.config().nEmbd());
        int[] trained = trainedRows(weights);
        int k = trained.length;
        if (k == 0) { // nothing to learn here; a zero gradient still reaches every parameter
            return new Pass(0, all.sum().mul(GPT2.scalar(all, 0)), null, null);
        }
        int[] trainedTargets = new int[k];
        float[] trainedWeights = new float[k];
        for (int i = 0; i < k; i++) {
            trainedTargets[i] = targets[trained[i]];
            trainedWeights[i] = weights[trained[i]];
        }
        NDArray selected = k == targets.length ? all
                : all.get(new NDIndex("{}", NativeArrays.of(m, trained, new Shape(k)).toType(DataType.INT64, false)));
        NDArray x = selected.stopGradient(); // the head's own ops stay out of autograd
        boolean bf16 = model.precision() == Precision.BF16;
        NDArray wte;
        if (bf16) { // one cast of the embedding and of the hidden states for all the head's products
            wte = model.bf16TokenEmbedding(m);
        } else {
            wte = model.tokenEmbedding().stopGradient();
            wte.attach(m);
        }
        NDArray y = NativeArrays.of(m, trainedTargets, new Shape(k, 1)).toType(DataType.INT64, false);
        NDArray w = NativeArrays.of(m, trainedWeights, new Shape(k, 1));
        int chunk = rowsPerChunk(chunkFloats, vocab);
        NDArray gradients = k <= chunk ? null : buffer(k, vocab, m, bf16);
        double lossSum = 0;
        NDList hiddenGradients = new NDList();
        for (int r0 = 0; r0 < k; r0 += chunk) {
            int r1 = Math.min(k, r0 + chunk);
            try (NDManager c = m.newSubManager()) {
                NDArray logProbabilities = logSoftmaxOfLogits(Slices.rows(x, r0, r1, c), wte, bf16);
                NDArray yc = Slices.rows(y, r0, r1, c);
                NDArray wc = Slices.rows(w, r0, r1, c);
                lossSum -= logProbabilities.gather(yc, 1).mul(wc).sum().getFloat();
                // softmax − onehot(y), scaled by each row's weight: the gradient of the logits.
                NDArray g = logProbabilities.exp();
                NDIndex atTargets = new NDIndex("{}, {}", c.arange(0, r1 - r0, 1, DataType.INT64), yc.squeeze(1));
                g.set(atTargets, g.get(atTargets).sub(1));
                g.muli(wc.mul(scale));
                if (bf16) {
                    // Kept for wte's gradient in bf16: half the memory of the largest buffer of a step.
                    g = Bf16Products.cast(g);
                }
                NDArray dh = bf16 ? Bf16Products.product(g, wte) : g.matMul(wte); // (rows, C)
                dh.attach(m);
                hiddenGradients.add(dh);
                if (gradients == null) {
                    gradients = g;
                    g.attach(m);
                } else if (bf16) {
                    Bf16Products.copyInto(Slices.rows(gradients, r0, r1, c), g);
                } else {
                    gradients.set(new NDIndex("{}:{}", r0, r1), g);
                }
            }
        }
        NDArray dHidden = hiddenGradients.size() == 1 ? hiddenGradients.singletonOrThrow() : NDArrays.concat(hiddenGradients);
        return new Pass(lossSum, selected.mul(dHidden).sum(), gradients, bf16 ? Bf16Products.cast(x) : x);
    }

    /** log_softmax(x · wteᵀ) of some rows: fp32, or the product in bf16 (wte already cast) and the softmax in fp32. */
    private static NDArray logSoftmaxOfLogits(NDArray x, NDArray wte, boolean bf16) {
        return bf16 ? Bf16Products.logSoftmaxOfLogits(x, wte) : Linear.linear(x, wte).singletonOrThrow().logSoftmax(-1);
    }

    /** One micro-batch's head: its loss and what its backward pass needs. */
    public final class Pass {
        private final double lossSum;
        private final NDArray surrogate;
        private final NDArray logitGradientsOfPass;
        private final NDArray hidden;

        private Pass(double lossSum, NDArray surrogate, NDArray logitGradients, NDArray hidden) {
            this.lossSum = lossSum;
            this.surrogate = surrogate;
            this.logitGradientsOfPass = logitGradients;
            this.hidden = hidden;
        }

        /** Σ weight · NLL over the micro-batch's targets. */
        public double lossSum() {
            return lossSum;
        }

        /** A scalar whose gradient with respect to the hidden states is the loss's: backward it. */
        public NDArray surrogate() {
            return surrogate;
        }

        /**
         * Adds ∂loss/∂wte of the head to wte's gradient, which the backward pass of
         * {@link #surrogate} created (the token embedding lookup also uses wte). In slices of the
         * vocabulary so no temporary is larger than a chunk.
         */
        public void addTokenEmbeddingGradient() {
            if (hidden == null) {
                return;
            }
            NDManager m = hidden.getManager();
            NDArray wteGradient = model.tokenEmbedding().getGradient();
            wteGradient.attach(m);
            long vocab = model.config().vocabSize();
            long slice = Math.max(1, chunkFloats / model.config().nEmbd());
            for (long v0 = 0; v0 < vocab; v0 += slice) {
                long v1 = Math.min(vocab, v0 + slice);
                try (NDManager c = m.newSubManager()) {
                    NDArray columns = Slices.of(logitGradientsOfPass, 1, v0, v1, c);
                    NDArray part = model.precision() == Precision.BF16 ? Bf16Products.transposedProduct(columns, hidden)
                            : columns.transpose().matMul(hidden); // (v1 - v0, C)
                    Slices.rows(wteGradient, v0, v1, c).addi(part);
                }
            }
        }
    }

    /** The first {@code rows} rows of the reused gradient buffer (fp32 or bf16), grown when needed. */
    private NDArray buffer(int rows, long vocab, NDManager step, boolean bf16) {
        if (logitGradients == null || logitGradients.getShape().get(0) < rows || logitGradientsBf16 != bf16) {
            if (logitGradients != null) {
                logitGradients.close();
            }
            // Uninitialised: every row is written before use.
            if (bf16) {
                try (NDArray like = manager.zeros(new Shape(1))) {
                    logitGradients = Bf16Products.empty(like, rows, vocab);
                }
            } else {
                logitGradients = manager.create(new Shape(rows, vocab));
            }
            logitGradientsBf16 = bf16;
        }
        return Slices.rows(logitGradients, 0, rows, step);
    }

    /** Rows of logits in a chunk of {@code chunkFloats} floats (at least one). */
    private static int rowsPerChunk(long chunkFloats, long vocab) {
        return (int) Math.max(1, chunkFloats / vocab);
    }

    /** Indices of the targets that count (weight other than 0). */
    private static int[] trainedRows(float[] weights) {
        int k = 0;
        for (float w : weights) {
            k += w != 0 ? 1 : 0;
        }
        int[] rows = new int[k];
        for (int i = 0, j = 0; i < weights.length; i++) {
            if (weights[i] != 0) {
                rows[j++] = i;
            }
        }
        return rows;
    }

    @Override
    public void close() {
        manager.close();
    }
}
