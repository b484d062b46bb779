package dev.chatforge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * GPT-2, the whole model in one file (as nanoGPT's {@code model.py}), written on DJL's NDArray
 * API: token + position embeddings, {@code n_layer} pre-LayerNorm blocks of causal multi-head
 * self-attention and a 4× GELU MLP, a final LayerNorm, and an LM head tied to the token
 * embedding.
 *
 * <p>Parameters are named and laid out exactly as Hugging Face's {@code GPT2LMHeadModel} stores
 * them ({@code transformer.h.0.attn.c_attn.weight}, ...). GPT-2's projections are "Conv1D"
 * layers whose weight is {@code (in, out)}, the transpose of a Linear layer's, so we keep that
 * layout and compute {@code x @ W + b}: a checkpoint exports to (and imports from) the Hugging
 * Face ecosystem without renaming or transposing anything.
 *
 * <p>Where PyTorch has one kernel for what DJL can only write as a chain of ops (causal attention,
 * a projection with its bias, the tanh GELU, dropout with a one-byte mask), the forward pass calls
 * it through {@link FusedOps}.
 *
 * <p>Native memory: every DJL op attaches its result to the manager of its <em>first</em>
 * operand. All ops here are written input-first ({@code x.matMul(W)}, never {@code W.op(x)}), so
 * activations belong to the caller's per-step manager and the model's own manager holds only
 * the parameters.
 */
public final class GPT2 implements AutoCloseable {
    /** HF name prefix of the transformer body; the LM head has no tensor of its own (tied to wte). */
    public static final String PREFIX = "transformer.";

    private final GPT2Config config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();

    private final NDArray wte; // (vocab, C) token embedding, also the LM head
    private final NDArray wpe; // (n_positions, C) learned position embedding
    private final Block[] blocks;
    private final NDArray lnFWeight;
    private final NDArray lnFBias;
    private Precision precision = Precision.FP32;
    /** bf16 copies of the product weights for inference ({@link #keepBf16Weights}); null: cast per forward. */
    private java.util.IdentityHashMap<NDArray, NDArray> bf16Weights;
    private NDManager bf16WeightsManager;

    /** One transformer block's parameters, Conv1D weights in (in, out) layout. */
    private record Block(NDArray ln1Weight, NDArray ln1Bias,
                         NDArray attnWeight, NDArray attnBias,       // c_attn: (C, 3C) fused Q, K, V
                         NDArray attnProjWeight, NDArray attnProjBias, // c_proj: (C, C)
                         NDArray ln2Weight, NDArray ln2Bias,
                         NDArray fcWeight, NDArray fcBias,           // mlp.c_fc: (C, 4C)
                         NDArray mlpProjWeight, NDArray mlpProjBias) {} // mlp.c_proj: (4C, C)

    private GPT2(GPT2Config config, NDManager manager, Map<String, NDArray> tensors) {
        this.config = config;
        this.manager = manager;
        long c = config.nEmbd();
        wte = take(tensors, "wte.weight", config.vocabSize(), c);
        wpe = take(tensors, "wpe.weight", config.nPositions(), c);
        blocks = new Block[config.nLayer()];
        for (int l = 0; l < blocks.length; l++) {
            String h = "h." + l + ".";
            blocks[l] = new Block(
                    take(tensors, h + "ln_1.weight", c), take(tensors, h + "ln_1.bias", c),
                    take(tensors, h + "attn.c_attn.weight", c, 3 * c), take(tensors, h + "attn.c_attn.bias", 3 * c),
                    take(tensors, h + "attn.c_proj.weight", c, c), take(tensors, h + "attn.c_proj.bias", c),
                    take(tensors, h + "ln_2.weight", c), take(tensors, h + "ln_2.bias", c),
                    take(tensors, h + "mlp.c_fc.weight", c, 4 * c), take(tensors, h + "mlp.c_fc.bias", 4 * c),
                    take(tensors, h + "mlp.c_proj.weight", 4 * c, c), take(tensors, h + "mlp.c_proj.bias", c));
        }
        lnFWeight = take(tensors, "ln_f.weight", c);
        lnFBias = take(tensors, "ln_f.bias", c);
    }

    /**
     * A freshly initialised model, as GPT-2 initialises it: weights normal(0, 0.02), the two
     * residual projections of each block normal(0, 0.02/sqrt(2·n_layer)) so the residual
     * stream's variance does not grow with depth, biases 0, LayerNorm gains 1. The random
     * numbers come from a seeded Java RNG, so a seed gives the same model on every device.
     */
    public static GPT2 create(GPT2Config config, Device device, long seed) {
        Random random = new Random(seed);
        double std = config.initializerRange();
        double residualStd = std / Math.sqrt(2.0 * config.nLayer());
        long c = config.nEmbd();
        NDManager manager = NDManager.newBaseManager(device);
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("wte.weight", normal(manager, random, std, config.vocabSize(), c));
        t.put("wpe.weight", normal(manager, random, std, config.nPositions(), c));
        for (int l = 0; l < config.nLayer(); l++) {
            String h = "h." + l + ".";
            t.put(h + "ln_1.weight", manager.ones(new Shape(c)));
            t.put(h + "ln_1.bias", manager.zeros(new Shape(c)));
            t.put(h + "attn.c_attn.weight", normal(manager, random, std, c, 3 * c));
            t.put(h + "attn.c_attn.bias", manager.zeros(new Shape(3 * c)));
            t.put(h + "attn.c_proj.weight", normal(manager, random, residualStd, c, c));
            t.put(h + "attn.c_proj.bias", manager.zeros(new Shape(c)));
            t.put(h + "ln_2.weight", manager.ones(new Shape(c)));
            t.put(h + "ln_2.bias", manager.zeros(new Shape(c)));
            t.put(h + "mlp.c_fc.weight", normal(manager, random, std, c, 4 * c));
            t.put(h + "mlp.c_fc.bias", manager.zeros(new Shape(4 * c)));
            t.put(h + "mlp.c_proj.weight", normal(manager, random, residualStd, 4 * c, c));
            t.put(h + "mlp.c_proj.bias", manager.zeros(new Shape(c)));
        }
        t.put("ln_f.weight", manager.ones(new Shape(c)));
        t.put("ln_f.bias", manager.zeros(new Shape(c)));
        Map<String, NDArray> named = new LinkedHashMap<>();
        t.forEach((name, array) -> named.put(PREFIX + name, array));
        return new GPT2(config, manager, named);
    }

    /**
     * A model from tensors named as Hugging Face names them ({@code transformer.h.0...}, or
     * without the {@code transformer.} prefix as OpenAI's original upload has them); shapes are
     * checked. The model <em>takes</em> the tensors: fp32 tensors on {@code device} move into its
     * manager as they are (no copy: loading GPT-2 124M held up to four copies of its weights at
     * once), others are converted; the caller must not use or close them afterwards.
     */
    public static GPT2 fromTensors(GPT2Config config, Device device, Map<String, NDArray> tensors) {
        NDManager manager = NDManager.newBaseManager(device);
        Map<String, NDArray> named = new LinkedHashMap<>();
        try {
            requireTiedHead(tensors);
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                String name = e.getKey().startsWith(PREFIX) ? e.getKey() : PREFIX + e.getKey();
                if (name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.equals(PREFIX + "lm_head.weight")) {
                    continue; // HF buffers (causal mask) and the tied head (checked equal to wte): nothing to load
                }
                NDArray array = e.getValue();
                if (array.getDataType() != DataType.FLOAT32 || !array.getDevice().equals(device)) {
                    array = array.toType(DataType.FLOAT32, false).toDevice(device, false);
                }
                array.attach(manager);
                named.put(name, array);
            }
            return new GPT2(config, manager, named);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * GPT-2's LM head is the token embedding. Some uploads store it anyway as {@code lm_head.weight}:
     * a copy of {@code wte} is fine; a head of its own (an untied model) would be dropped, changing
     * every prediction, so it is refused.
     */
    private static void requireTiedHead(Map<String, NDArray> tensors) {
        NDArray head = tensors.get("lm_head.weight");
        if (head == null) {
            head = tensors.get(PREFIX + "lm_head.weight");
        }
        if (head == null) {
            return;
        }
        NDArray wte = tensors.getOrDefault(PREFIX + "wte.weight", tensors.get("wte.weight"));
        boolean same = wte != null && head.getShape().equals(wte.getShape())
                && head.toType(DataType.FLOAT32, false).contentEquals(wte.toType(DataType.FLOAT32, false));
        if (!same) {
            throw new IllegalArgumentException("lm_head.weight differs from the token embedding wte.weight (an untied "
                    + "LM head); chatforge's GPT-2 ties the head to wte, so it cannot load these weights without "
                    + "changing what the model predicts");
        }
    }

    private NDArray take(Map<String, NDArray> tensors, String name, long... shape) {
        NDArray array = tensors.get(PREFIX + name);
        if (array == null) {
            throw new IllegalArgumentException("missing tensor '" + PREFIX + name + "'");
        }
        if (!array.getShape().equals(new Shape(shape))) {
            throw new IllegalArgumentException("tensor '" + PREFIX + name + "' has shape " + array.getShape()
                    + ", the config needs " + new Shape(shape));
        }
        array.setName(PREFIX + name);
        array.setRequiresGradient(true);
        parameters.put(PREFIX + name, array);
        return array;
    }

    private static NDArray normal(NDManager manager, Random random, double std, long... shape) {
        float[] values = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return manager.create(values, new Shape(shape));
    }

    // ---------------------------------------------------------------------------------------
    // Forward
    // ---------------------------------------------------------------------------------------

    /**
     * Logits for every position: {@code tokens} (B, T) int → (B, T, vocab_size) float. With
     * {@code training}, dropout is on. Results belong to {@code tokens}' manager.
     */
    public NDArray forward(NDArray tokens, boolean training) {
        return forward(tokens, null, training);
    }

    /**
     * Incremental inference with a key/value cache: {@code tokens} (B, T) are the next T tokens
     * after the {@code cache.length()} already seen; returns their logits (B, T, vocab_size)
     * and appends their keys and values to the cache. The logits equal those of a full forward
     * over the whole sequence; the caller must keep {@code cache.length() + T <= n_positions}
     * (start a new cache from the last tokens when the context is full).
     */
    public NDArray forward(NDArray tokens, KVCache cache) {
        if (cache == null) {
            throw new IllegalArgumentException("cache is null; use forward(tokens, training) without one");
        }
        return forward(tokens, cache, false);
    }

    /**
     * The hidden states the LM head reads (after the final LayerNorm): {@code tokens} (B, T) →
     * (B, T, C). Training computes the head and its loss from them with {@link TiedHeadLoss}.
     */
    public NDArray hidden(NDArray tokens, boolean training) {
        return hidden(tokens, null, training);
    }

    /** Negative log-likelihood of each target, without gradients: (B, T) ids and targets → (B, T). */
    public NDArray tokenLosses(NDArray tokens, NDArray targets) {
        return TiedHeadLoss.tokenLosses(this, hidden(tokens, false), targets);
    }

    private NDArray forward(NDArray tokens, KVCache cache, boolean training) {
        NDArray hidden = hidden(tokens, cache, training);
        if (precision == Precision.BF16) {
            return consumed(hidden, Bf16Products.logits(hidden, productWeight(wte)));
        }
        // Tied LM head: logits = x · wteᵀ. Linear.linear takes the (out, in) weight as stored.
        return Linear.linear(hidden, wte).singletonOrThrow();
    }

    private NDArray hidden(NDArray tokens, KVCache cache, boolean training) {
        Shape shape = tokens.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("tokens must be (batch, time), got shape " + shape);
        }
        long t = shape.get(1);
        int offset = cache == null ? 0 : cache.length();
        if (offset + t > config.nPositions()) {
            throw new IllegalArgumentException("sequence of " + (offset + t) + " tokens is longer than n_positions = "
                    + config.nPositions());
        }
        NDArray positions = tokens.getManager().arange(offset, (int) (offset + t), 1, DataType.INT64);
        NDArray x = embedding(tokens, wte).add(embedding(positions, wpe)); // (B, T, C) + (T, C)
        x = dropout(x, config.embdPdrop(), training);
        NDArray mask = cache != null && t > 1 ? causalMask(tokens.getManager(), t, offset) : null;
        NDManager outer = tokens.getManager();
        for (int l = 0; l < blocks.length; l++) {
            Block block = blocks[l];
            // Each block's arrays live in a manager of their own (ops put results in their first
            // operand's manager, and the block input leads), closed once the block's output is
            // out: DJL would otherwise keep every intermediate until the caller's manager closes,
            // all through backward, where PyTorch in Python frees one when nothing refers to it.
            // Autograd holds its own references to what backward needs. For GPT-2 124M at 4 × 256
            // tokens a validation forward went from +2 GB of RSS to a few hundred MB.
            try (NDManager scope = outer.newSubManager()) {
                x.attach(scope);
                // Pre-LayerNorm residual block: x + attn(ln(x)), then x + mlp(ln(x)).
                x = x.add(attention(block, l, layerNorm(x, block.ln1Weight(), block.ln1Bias()), mask, cache, training));
                x = x.add(mlp(block, layerNorm(x, block.ln2Weight(), block.ln2Bias()), training));
                x.attach(outer);
            }
        }
        if (cache != null) {
            cache.advance((int) t);
        }
        return layerNorm(x, lnFWeight, lnFBias);
    }

    /** Causal multi-head self-attention over a fused Q/K/V projection. */
    private NDArray attention(Block block, int layer, NDArray x, NDArray mask, KVCache cache, boolean training) {
        // In bf16 the fused attention takes the projection's bf16 result as it is; the cached path's
        // DJL ops need fp32.
        NDArray joined = conv1d(x, block.attnWeight(), block.attnBias(), cache == null); // (B, T, 3C)
        NDArray y = cache == null
                ? consumed(joined, FusedOps.causalSelfAttention(joined, config.nHead(), training ? config.attnPdrop() : 0))
                : cachedAttention(joined, layer, mask, cache);
        return dropout(conv1d(y, block.attnProjWeight(), block.attnProjBias(), false), config.residPdrop(), training);
    }

    /**
     * Attention of T new tokens over the cached keys and values and their own (inference only):
     * (B, T, 3C) → (B, T, C). The fused kernel's causal mask assumes queries and keys start at the
     * same position, so this path masks by hand.
     */
    private NDArray cachedAttention(NDArray joined, int layer, NDArray mask, KVCache cache) {
        long b = joined.getShape().get(0);
        long t = joined.getShape().get(1);
        NDList qkv = joined.split(3, 2);                                     // 3 × (B, T, C), views of joined
        // Scale q before the product: (T, hs) multiplies instead of (T, T).
        NDArray q = heads(qkv.get(0), b, t).mul(scalar(joined, 1.0 / Math.sqrt(config.headSize()))); // (B, nh, T, hs)
        NDArray kT = cache.appendKeys(layer, heads(qkv.get(1), b, t).transpose(0, 1, 3, 2)); // (B, nh, hs, past + T)
        NDArray v = cache.appendValues(layer, heads(qkv.get(2), b, t));                     // (B, nh, past + T, hs)
        NDArray scores = q.matMul(kT);          // (B, nh, T, past + T)
        if (mask != null) {
            scores = scores.add(mask);          // -inf where a query would see a later token
        }
        NDArray merged = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3); // (B, T, nh, hs)
        return merged.reshape(b, t, config.nEmbd());
    }

    /** The position-wise MLP: expand 4×, GELU, project back. */
    private NDArray mlp(Block block, NDArray x, boolean training) {
        NDArray h = gelu(conv1d(x, block.fcWeight(), block.fcBias(), true));
        return dropout(conv1d(h, block.mlpProjWeight(), block.mlpProjBias(), false), config.residPdrop(), training);
    }

    /** (B, T, C) → (B, nh, T, hs). */
    private NDArray heads(NDArray x, long b, long t) {
        NDArray split = x.reshape(b, t, config.nHead(), config.headSize());
        return consumed(split, split.transpose(0, 2, 1, 3));
    }

    /**
     * GPT-2's Conv1D: {@code x @ W + b} with W stored (in, out). In bf16 the result stays bf16 when
     * {@code feedsProduct} (it only goes on to another product: attention, or the MLP's GELU and
     * projection), and is fp32 where DJL's ops (residual add, dropout, LayerNorm) read it.
     */
    private NDArray conv1d(NDArray x, NDArray weight, NDArray bias, boolean feedsProduct) {
        return precision == Precision.BF16 ? Bf16Products.conv1d(x, productWeight(weight), bias, !feedsProduct)
                : FusedOps.conv1d(x, weight, bias);
    }

    /** The weight a product reads: its kept bf16 copy for inference, else the fp32 parameter (cast in the product). */
    private NDArray productWeight(NDArray weight) {
        if (bf16Weights == null) {
            return weight;
        }
        if (ai.djl.pytorch.jni.JniUtils.isGradMode()) {
            throw new IllegalStateException("the model keeps bf16 copies of its weights for inference; training would "
                    + "read them stale (call usePrecision first)");
        }
        return bf16Weights.get(weight);
    }

    /**
     * Closes {@code input} and returns {@code result}, an op's output made from it. DJL keeps every
     * array alive until its manager closes, i.e. every intermediate of a forward pass until the
     * step ends, where PyTorch in Python frees one as soon as nothing refers to it. Use it only for
     * an input that the op's backward does not need (autograd keeps its own reference to what it
     * does need): a product before its bias, scores before the mask and softmax (which saves its
     * output), the steps of an element-wise formula. For GPT-2 124M that is ~40 MB per block.
     */
    private static NDArray consumed(NDArray input, NDArray result) {
        input.close();
        return result;
    }

    /**
     * "gelu" is the exact form, x·Φ(x) (erf); "gelu_new" is the tanh approximation GPT-2 was
     * trained with, which differs by < 1e-3 and is needed to run OpenAI's weights bit-faithfully.
     * Our config.json names which one was used, so Hugging Face picks the same function on export.
     */
    private NDArray gelu(NDArray x) {
        if (config.activationFunction().equals("gelu")) {
            return precision == Precision.BF16 ? Bf16Products.gelu(x) : ai.djl.nn.Activation.gelu(x);
        }
        return FusedOps.geluTanh(x);
    }

    private NDArray layerNorm(NDArray x, NDArray gain, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.nEmbd()), gain, bias, (float) config.layerNormEpsilon())
                .singletonOrThrow();
    }

    private static NDArray embedding(NDArray ids, NDArray table) {
        return Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    private static NDArray dropout(NDArray x, double p, boolean training) {
        return training && p > 0 ? FusedOps.dropout(x, p) : x;
    }

    /**
     * Additive mask (T, past + T): 0 where query i (absolute position past + i) may attend key
     * j, i.e. j <= past + i; -inf above that diagonal. Built by native ops in the caller's
     * manager (not from a Java array, whose direct buffer would be freed only by a later GC:
     * see {@link NativeArrays}); a few KB, negligible next to the attention product.
     */
    private static NDArray causalMask(NDManager manager, long t, int past) {
        NDArray queries = manager.arange(past, (int) (past + t), 1, DataType.INT32).reshape(t, 1); // (T, 1)
        NDArray keys = manager.arange(0, (int) (past + t), 1, DataType.INT32);                   // (past + T)
        NDArray future = keys.gt(queries);                                                      // (T, past + T)
        Shape shape = future.getShape(); // DJL's where does not broadcast
        return NDArrays.where(future, manager.full(shape, Float.NEGATIVE_INFINITY), manager.zeros(shape));
    }

    // ---------------------------------------------------------------------------------------
    // Constants in the autograd graph
    // ---------------------------------------------------------------------------------------

    /**
     * A constant operand for an op that autograd records, made natively in {@code like}'s
     * manager (so it lives until that manager closes, after backward) and never written as a
     * Java number: DJL turns {@code x.mul(0.5)} into a tensor over a Java direct buffer, closes
     * it after the op and lets the GC free the buffer, while autograd keeps the tensor for the
     * backward pass. A garbage collection between forward and backward then made backward read
     * freed memory: wrong or NaN gradients with a finite loss, about once in 5,000–10,000
     * training steps here (GradientLifetimeTest forces it).
     */
    static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    // ---------------------------------------------------------------------------------------
    // Accessors
    // ---------------------------------------------------------------------------------------

    /** The token embedding, which is also the LM head's weight (TiedHeadLoss differentiates it by hand). */
    NDArray tokenEmbedding() {
        return wte;
    }

    /**
     * The token embedding in bf16 for the head's products, outside autograd: the kept inference copy,
     * or a cast belonging to {@code owner}.
     */
    NDArray bf16TokenEmbedding(NDManager owner) {
        if (bf16Weights != null) {
            return productWeight(wte);
        }
        NDArray detached = wte.stopGradient();
        detached.attach(owner);
        NDArray cast = Bf16Products.cast(detached);
        detached.close();
        return cast;
    }

    public GPT2Config config() {
        return config;
    }

    /**
     * Sets the number format of the products (see {@link Precision}); the run decides it once
     * ({@link Precision#resolve}). Parameters stay fp32 either way. Drops kept bf16 weights.
     */
    public GPT2 usePrecision(Precision precision) {
        this.precision = precision;
        dropBf16Weights();
        return this;
    }

    public Precision precision() {
        return precision;
    }

    /**
     * For inference in bf16 (generation, eval): keeps a bf16 copy of every product weight, so a
     * forward pass (one per generated token) does not cast 124M weights again each time. The copies
     * are of the weights as they are now: only for a model that no longer trains. A no-op in fp32.
     */
    public void keepBf16Weights() {
        dropBf16Weights();
        if (precision != Precision.BF16) {
            return;
        }
        bf16WeightsManager = manager.newSubManager();
        bf16Weights = new java.util.IdentityHashMap<>();
        for (NDArray p : parameters.values()) {
            if (p.getShape().dimension() == 2 && p != wpe) {
                NDArray copy = Bf16Products.cast(p); // outside a gradient collector: no autograd
                copy.attach(bf16WeightsManager);
                bf16Weights.put(p, copy);
            }
        }
    }

    private void dropBf16Weights() {
        if (bf16WeightsManager != null) {
            bf16WeightsManager.close();
        }
        bf16WeightsManager = null;
        bf16Weights = null;
    }

    /** The manager that owns the parameters; create per-step sub-managers from it. */
    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** Parameters by Hugging Face name, in HF order, HF (Conv1D) layout. Do not close them. */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** A new, empty key/value cache for {@link #forward(NDArray, KVCache)}; close it when done. */
    public KVCache newCache() {
        return new KVCache(manager.newSubManager(), config.nLayer());
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * Keys and values of the tokens seen so far, per layer, for incremental decoding. Keys are
     * kept transposed (B, nh, hs, T) so both cached tensors are only ever the second operand of
     * a product: the attention's intermediates then belong to the caller's manager, and only
     * the concatenated cache belongs to the cache's own manager (the previous one is freed).
     */
    public static final class KVCache implements AutoCloseable {
        private final NDManager manager;
        private final NDArray[] keys;
        private final NDArray[] values;
        private int length;

        KVCache(NDManager manager, int layers) {
            this.manager = manager;
            this.keys = new NDArray[layers];
            this.values = new NDArray[layers];
        }

        /** Tokens already in the cache; the next token's position. */
        public int length() {
            return length;
        }

        NDArray appendKeys(int layer, NDArray kT) {
            keys[layer] = append(keys[layer], kT, 3);
            return keys[layer];
        }

        NDArray appendValues(int layer, NDArray v) {
            values[layer] = append(values[layer], v, 2);
            return values[layer];
        }

        private NDArray append(NDArray past, NDArray fresh, int axis) {
            if (past == null) {
                fresh.attach(manager);
                return fresh;
            }
            NDArray joined = past.concat(fresh, axis); // belongs to the cache's manager (first operand)
            past.close();
            return joined;
        }

        void advance(int t) {
            length += t;
        }

        @Override
        public void close() {
            manager.close();
        }
    }
}
