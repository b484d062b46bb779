package dev.chatforge.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.Precision;
import dev.chatforge.model.TorchScriptFunction;
import java.util.ArrayList;
import java.util.List;

/**
 * The time one training step's matrix products take on their own: every product of GPT-2's
 * forward and backward pass at the step's exact shapes, each timed alone (best of a few runs).
 * The MFU a step would reach if nothing but these products took time is the ceiling of what
 * faster element-wise code (LayerNorm, softmax, GELU, AdamW, ...) can give: the products at these
 * shapes run below the large square product that defines the peak. In bf16 each product runs on
 * operands cast beforehand, as the peak does.
 */
final class MatmulCeiling {
    private MatmulCeiling() {}

    /** One product shape: {@code count} times a batch of {@code batch} (m × k)·(k × n) products per step. */
    private record Product(int count, long batch, long m, long k, long n) {
        double flops() {
            return 2.0 * count * batch * m * k * n;
        }
    }

    /** Seconds the step's products take in {@code precision}, each measured alone. */
    static double stepSeconds(GPT2Config config, int batch, Device device, Precision precision) {
        double seconds = 0;
        try (NDManager manager = NDManager.newBaseManager(device)) {
            for (Product p : products(config, batch)) {
                NDArray a = manager.randomNormal(new Shape(p.batch(), p.m(), p.k()));
                NDArray b = manager.randomNormal(new Shape(p.batch(), p.k(), p.n()));
                seconds += p.count() * bestProductSeconds(a, b, 1, 6, precision);
                a.close();
                b.close();
            }
        }
        return seconds;
    }

    /**
     * The fastest of {@code runs} products a · b, after {@code warmup} untimed ones; each on a fresh
     * copy of a (so no run finds its result in cache), and waited for on a GPU. In bf16 the operands
     * are cast once beforehand (the peak of the product itself; the training step's casts are
     * part of its own time).
     */
    static double bestProductSeconds(NDArray a, NDArray b, int warmup, int runs, Precision precision) {
        if (precision == Precision.FP32) {
            return bestProductSeconds(a, b, warmup, runs);
        }
        // bf16 tensors exist only inside TorchScript functions' calls (DJL cannot make them): see Bf16Products.
        NDArray a16 = function("return a.to(15)").callSingle(a);
        NDArray b16 = function("return a.to(15)").callSingle(b);
        try {
            double best = Double.MAX_VALUE;
            for (int i = 0; i < warmup + runs; i++) {
                try (NDManager scratch = a.getManager().newSubManager()) {
                    NDArray x = function("return a.clone()").callSingle(a16);
                    x.attach(scratch);
                    firstElement(x); // the copy done (on a GPU it runs asynchronously)
                    long t0 = System.nanoTime();
                    NDArray c = TorchScriptFunction.of("a: Tensor, b: Tensor", "Tensor", "return torch.matmul(a, b)")
                            .callSingle(x, b16);
                    c.attach(scratch);
                    firstElement(c); // one element: waits for the product on a GPU
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (i >= warmup) {
                        best = Math.min(best, seconds);
                    }
                }
            }
            return best;
        } finally {
            a16.close();
            b16.close();
        }
    }

    private static TorchScriptFunction function(String body) {
        return TorchScriptFunction.of("a: Tensor", "Tensor", body);
    }

    /** Reads one element of a bf16 tensor as fp32 (DJL cannot read bf16). */
    private static void firstElement(NDArray bf16) {
        try (NDArray first = function("return a.flatten()[0:1].float()").callSingle(bf16)) {
            first.getFloat(0);
        }
    }

    static double bestProductSeconds(NDArray a, NDArray b, int warmup, int runs) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < warmup + runs; i++) {
            try (NDManager scratch = a.getManager().newSubManager()) {
                NDArray x = a.duplicate();
                x.attach(scratch);
                x.getFloat(new long[x.getShape().dimension()]); // the copy done (on a GPU it runs asynchronously)
                long t0 = System.nanoTime();
                NDArray c = x.matMul(b);
                c.getFloat(new long[c.getShape().dimension()]); // one element: waits for the product on a GPU
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (i >= warmup) {
                    best = Math.min(best, seconds);
                }
            }
        }
        return best;
    }

    /**
     * Forward: the four Conv1D layers of each block, the two attention products per head, the LM
     * head. Backward: two products for each (the input's gradient and the weight's, or both
     * operands' for attention).
     */
    private static List<Product> products(GPT2Config config, int batch) {
        int layers = config.nLayer();
        long tokens = (long) batch * config.nPositions();
        long c = config.nEmbd();
        long t = config.nPositions();
        long hs = config.headSize();
        long heads = (long) batch * config.nHead();
        List<Product> products = new ArrayList<>();
        long[][] layersInOut = {{c, 3 * c}, {c, c}, {c, 4 * c}, {4 * c, c}};
        for (long[] io : layersInOut) {
            products.add(new Product(layers, 1, tokens, io[0], io[1])); // y = x · W
            products.add(new Product(layers, 1, tokens, io[1], io[0])); // dx = dy · Wᵀ
            products.add(new Product(layers, 1, io[0], tokens, io[1])); // dW = xᵀ · dy
        }
        long vocab = config.vocabSize();
        products.add(new Product(1, 1, tokens, c, vocab));
        products.add(new Product(1, 1, tokens, vocab, c));
        products.add(new Product(1, 1, vocab, tokens, c));
        products.add(new Product(layers, heads, t, hs, t));  // scores = q · kᵀ
        products.add(new Product(layers, heads, t, t, hs));  // y = att · v
        products.add(new Product(layers, heads, t, t, hs));  // dq = dscores · k
        products.add(new Product(layers, heads, hs, t, t));  // dk = dscoresᵀ · q (as kᵀ's gradient)
        products.add(new Product(layers, heads, t, hs, t));  // datt = dy · vᵀ
        products.add(new Product(layers, heads, t, t, hs));  // dv = attᵀ · dy
        return products;
    }

    /** FLOPs of the products of one step (what {@link #stepSeconds} times). */
    static double stepFlops(GPT2Config config, int batch) {
        return products(config, batch).stream().mapToDouble(Product::flops).sum();
    }
}
