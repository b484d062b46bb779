package dev.chatforge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The fused PyTorch kernels GPT-2's forward pass uses where DJL has only a chain of separate ops
 * (each of which writes, and autograd keeps, a full-size intermediate). Each is a
 * {@link TorchScriptFunction}; results belong to the first argument's manager, as with DJL's ops.
 *
 * <p>Measured on a 2-core CPU, 6 layers × 384 wide, batch 8 × 256 tokens: causal attention forward +
 * backward per block 16-18 ms fused vs 28-34 ms as matmul, mask, softmax, matmul.
 */
final class FusedOps {
    private FusedOps() {}

    /** GPT-2's Conv1D {@code x @ W + b} (W stored (in, out)) as one {@code addmm}: x (..., in) → (..., out). */
    static NDArray conv1d(NDArray x, NDArray weight, NDArray bias) {
        return TorchScriptFunction.of("x: Tensor, w: Tensor, b: Tensor", "Tensor", """
                shape = x.size()
                shape[-1] = w.size(1)
                return torch.addmm(b, x.reshape(-1, w.size(0)), w).view(shape)
                """).callSingle(x, weight, bias);
    }

    /** GELU with the tanh approximation GPT-2 was trained with ("gelu_new"), one kernel. */
    static NDArray geluTanh(NDArray x) {
        return TorchScriptFunction.of("x: Tensor", "Tensor", """
                return torch.gelu(x, approximate="tanh")
                """).callSingle(x);
    }

    /**
     * Causal multi-head self-attention from the joined Q/K/V projection: (B, T, 3C) → (B, T, C),
     * heads merged back, with dropout {@code p} on the attention probabilities. PyTorch's
     * {@code scaled_dot_product_attention} never writes the (T, T) scores where it has a fused
     * kernel: flash on a CPU without dropout (it skips the blocks above the diagonal), flash or
     * memory-efficient on CUDA (fp32 takes the memory-efficient one). With dropout on a CPU the
     * probabilities are dropped by a mask drawn in Java. Q/K/V in bf16 give a bf16 result (the
     * kernels accumulate and take the softmax in fp32).
     */
    static NDArray causalSelfAttention(NDArray qkv, long heads, double p) {
        if (p == 0 || !qkv.getDevice().equals(Device.cpu())) {
            return scaledDotProductAttention(qkv, heads, p);
        }
        Shape shape = qkv.getShape();
        Shape probabilities = new Shape(shape.get(0), heads, shape.get(1), shape.get(1));
        return causalSelfAttention(qkv, heads, DropoutMask.draw(qkv.getManager(), probabilities, p));
    }

    private static NDArray scaledDotProductAttention(NDArray qkv, long heads, double dropout) {
        return TorchScriptFunction.of("qkv: Tensor", "Tensor", """
                b, t, c3 = qkv.size()
                q, k, v = qkv.view(b, t, 3, %d, c3 // (3 * %d)).permute(2, 0, 3, 1, 4).unbind(0)
                y = torch.scaled_dot_product_attention(q, k, v, None, %s, True)
                return y.transpose(1, 2).reshape(b, t, c3 // 3)
                """.formatted(heads, heads, Double.toString(dropout))).callSingle(qkv);
    }

    /**
     * The same attention with dropout on the attention probabilities by a mask drawn in Java
     * ({@link DropoutMask}, (B, nh, T, T)): on a CPU, PyTorch's fused kernel has no dropout and its
     * reference path draws a float mask with its one-thread generator. Autograd keeps the bool mask.
     * With bf16 Q/K/V ({@link Precision#BF16}) the two products run in bf16 and the softmax in fp32
     * (for fp32 input the casts are no-ops).
     */
    static NDArray causalSelfAttention(NDArray qkv, long heads, DropoutMask mask) {
        return TorchScriptFunction.of("qkv: Tensor, keep: Tensor", "Tensor", """
                b, t, c3 = qkv.size()
                hs = c3 // (3 * %d)
                q, k, v = qkv.view(b, t, 3, %d, hs).permute(2, 0, 3, 1, 4).unbind(0)
                scores = torch.matmul(q * %s, k.transpose(-2, -1))
                future = torch.ones([t, t], dtype=11, device=qkv.device).triu(1)
                att = torch.softmax(scores.masked_fill(future, float("-inf")).float(), -1)
                y = torch.matmul(torch.where(keep, att, 0.0).to(v.dtype), v) * %s
                return y.transpose(1, 2).reshape(b, t, c3 // 3)
                """.formatted(heads, heads, Double.toString(1 / Math.sqrt(qkv.getShape().get(2) / 3.0 / heads)),
                Double.toString(mask.scale()))).callSingle(qkv, mask.keep());
    }

    /**
     * Inverted dropout with probability {@code p}: on a CPU by a mask drawn in Java, elsewhere by
     * PyTorch's own fused kernel. Either way autograd keeps a one-byte mask.
     */
    static NDArray dropout(NDArray x, double p) {
        return x.getDevice().equals(Device.cpu()) ? dropout(x, DropoutMask.draw(x.getManager(), x.getShape(), p))
                : nativeDropout(x, p);
    }

    /** Inverted dropout by a mask drawn in Java ({@link DropoutMask}); autograd keeps the bool mask. */
    static NDArray dropout(NDArray x, DropoutMask mask) {
        return TorchScriptFunction.of("x: Tensor, keep: Tensor", "Tensor", """
                return torch.where(keep, x, 0.0) * %s
                """.formatted(Double.toString(mask.scale()))).callSingle(x, mask.keep());
    }

    /**
     * Inverted dropout with PyTorch's own generator, for a GPU ({@code native_dropout}: one fused
     * kernel there, and a one-byte mask kept for backward).
     */
    private static NDArray nativeDropout(NDArray x, double p) {
        return TorchScriptFunction.of("x: Tensor", "Tensor", """
                return torch.native_dropout(x, %s, True)[0]
                """.formatted(Double.toString(p))).callSingle(x);
    }
}
