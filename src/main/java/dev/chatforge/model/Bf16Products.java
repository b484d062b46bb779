package dev.chatforge.model;

import ai.djl.ndarray.NDArray;

/**
 * The matrix products of {@link Precision#BF16}: bf16 operands, fp32 accumulation (oneDNN's bf16
 * kernels on a CPU with avx512_bf16 or AMX, tensor cores on a GPU), as PyTorch's bf16 autocast runs
 * {@code addmm}/{@code mm}. All of it is {@link TorchScriptFunction}s, because DJL cannot make or
 * convert bf16 arrays (its {@code toType(BFLOAT16)} ends the JVM): a bf16 tensor is made inside a
 * function, and DJL only ever passes its handle on to another function (it reports its type as
 * unknown, so no DJL op may touch it). Whatever a DJL op reads comes back as fp32.
 *
 * <p>Where casts cost: a weight is cast in the product that uses it, once per forward pass (each
 * Conv1D weight is used once per forward, so this is what autocast's cast cache gives within one
 * forward); the tied head casts the token embedding once per micro-batch for its many products
 * ({@link #cast}). For inference the model can keep bf16 copies instead ({@link GPT2#keepBf16Weights}).
 * Autograd differentiates through the casts, so fp32 weights get fp32 gradients.
 */
final class Bf16Products {
    private Bf16Products() {}

    /** {@code x} as a bf16 tensor (a copy; a bf16 {@code x} is returned as it is). */
    static NDArray cast(NDArray x) {
        return TorchScriptFunction.of("x: Tensor", "Tensor", """
                return x.to(15)
                """).callSingle(x);
    }

    /**
     * GPT-2's Conv1D {@code x @ W + b} as one bf16 {@code addmm}: x (..., in) fp32 or bf16 → (..., out),
     * in bf16 when the result only feeds another product ({@code fp32Result} false), else fp32.
     */
    static NDArray conv1d(NDArray x, NDArray weight, NDArray bias, boolean fp32Result) {
        return TorchScriptFunction.of("x: Tensor, w: Tensor, b: Tensor", "Tensor", """
                shape = x.size()
                shape[-1] = w.size(1)
                y = torch.addmm(b.to(15), x.reshape(-1, w.size(0)).to(15), w.to(15)).view(shape)
                return %s
                """.formatted(fp32Result ? "y.to(6)" : "y")).callSingle(x, weight, bias);
    }

    /** The exact GELU (erf) in the input's type: between two bf16 products it stays bf16, as under autocast. */
    static NDArray gelu(NDArray x) {
        return TorchScriptFunction.of("x: Tensor", "Tensor", """
                return torch.gelu(x)
                """).callSingle(x);
    }

    /** The tied head's logits {@code h · wteᵀ}, fp32: h (..., C), wte (V, C) fp32 or bf16 → (..., V). */
    static NDArray logits(NDArray hidden, NDArray wte) {
        return TorchScriptFunction.of("h: Tensor, w: Tensor", "Tensor", """
                return torch.matmul(h.to(15), w.to(15).t()).to(6)
                """).callSingle(hidden, wte);
    }

    /** log_softmax of the tied head's logits, the softmax in fp32: x (rows, C), wte (V, C) → (rows, V) fp32. */
    static NDArray logSoftmaxOfLogits(NDArray x, NDArray wte) {
        return TorchScriptFunction.of("x: Tensor, w: Tensor", "Tensor", """
                return torch.log_softmax(torch.mm(x.to(15), w.to(15).t()).to(6), -1)
                """).callSingle(x, wte);
    }

    /** {@code a · b} in bf16, the result fp32. */
    static NDArray product(NDArray a, NDArray b) {
        return TorchScriptFunction.of("a: Tensor, b: Tensor", "Tensor", """
                return torch.mm(a.to(15), b.to(15)).to(6)
                """).callSingle(a, b);
    }

    /** {@code aᵀ · b} in bf16, the result fp32. */
    static NDArray transposedProduct(NDArray a, NDArray b) {
        return TorchScriptFunction.of("a: Tensor, b: Tensor", "Tensor", """
                return torch.mm(a.t().to(15), b.to(15)).to(6)
                """).callSingle(a, b);
    }

    /** Copies {@code source} (any type) into {@code target} (a bf16 view), in place. */
    static void copyInto(NDArray target, NDArray source) {
        TorchScriptFunction.of("target: Tensor, source: Tensor", "Tensor", """
                return target.copy_(source)
                """).callSingle(target, source).close();
    }

    /** An uninitialised bf16 (rows, columns) tensor on {@code like}'s device, in its manager. */
    static NDArray empty(NDArray like, long rows, long columns) {
        return TorchScriptFunction.of("like: Tensor", "Tensor", """
                return torch.empty([%d, %d], dtype=15, device=like.device)
                """.formatted(rows, columns)).callSingle(like);
    }
}
