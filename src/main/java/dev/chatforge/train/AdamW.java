package dev.chatforge.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.model.NativeArrays;
import dev.chatforge.model.TorchScriptFunction;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter), as {@code torch.optim.AdamW}: bias-corrected moments and
 * decoupled weight decay, applied only to matrices (embeddings and projection weights), never
 * to biases or LayerNorm gains (as nanoGPT). Written here rather than using DJL's optimizer so
 * the moments are ours to save and restore exactly on resume.
 *
 * <p>Memory: the moments live in the optimizer's own manager and are updated in place; an
 * update's temporaries live and die inside the native call, so nothing accumulates.
 */
public final class AdamW implements AutoCloseable {
    public static final String FIRST_MOMENT = ".exp_avg";
    public static final String SECOND_MOMENT = ".exp_avg_sq";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
    private long steps;

    /** Zero moments shaped like {@code parameters}, on their device. */
    public AdamW(Map<String, NDArray> parameters, NDManager parent, double beta1, double beta2, double eps,
                 double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
        parameters.forEach((name, p) -> {
            firstMoments.put(name, manager.zeros(p.getShape(), p.getDataType()));
            secondMoments.put(name, manager.zeros(p.getShape(), p.getDataType()));
        });
    }

    /**
     * One update of every parameter with its gradient, at learning rate {@code lr}; the
     * gradients are scaled by {@code gradientScale} first (global-norm clipping). The trainer
     * zeroes the gradients after the update; on a CPU they hold their scaled values by then (the
     * fused kernel writes them back), on a GPU their values before scaling.
     *
     * <p>On a CPU each parameter is one call of PyTorch's fused AdamW kernel
     * ({@code torch._fused_adamw_}, what {@code torch.optim.AdamW(fused=True)} runs): one vectorised
     * pass, in place, no temporaries. DJL's own fused update made seven temporaries the size of the
     * parameter (for GPT-2's token embedding 154 MB each, fresh pages every step); slicing it kept
     * them small but still made a dozen passes (GPT-2 124M, block 256, batch 4: 2.92 → 2.74 s a
     * step). On a GPU DJL's update stays (its caching allocator reuses the temporaries).
     * Both compute torch's {@code p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)} after the decoupled decay
     * {@code p -= lr·wd·p}, with wd = 0 for biases and LayerNorm gains.
     */
    public void update(Map<String, NDArray> parameters, Map<String, NDArray> gradients, double lr,
                       double gradientScale) {
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double sqrtCorrection2 = Math.sqrt(1 - Math.pow(beta2, steps));
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            NDArray g = gradients.get(e.getKey());
            NDArray m = firstMoments.get(e.getKey());
            NDArray v = secondMoments.get(e.getKey());
            float decay = p.getShape().dimension() >= 2 ? (float) weightDecay : 0f; // matrices only
            if (p.getDevice().equals(Device.cpu())) {
                fusedUpdate(p, g, m, v, lr, decay, gradientScale);
            } else {
                // DJL's form uses the raw moments: p -= lrᵤ·m / (√v + εᵤ), lrᵤ = lr·√(1-β2ᵗ)/(1-β1ᵗ), εᵤ = ε·√(1-β2ᵗ).
                p.getNDArrayInternal().adamUpdate(new NDList(p, g, m, v), new NDList(p),
                        (float) lr, (float) (lr * sqrtCorrection2 / correction1), decay, (float) gradientScale,
                        -1f /* no element-wise clip */, (float) beta1, (float) beta2, (float) (eps * sqrtCorrection2), false, true);
            }
        }
    }

    /**
     * {@code torch._fused_adamw_} on one parameter. The step's numbers travel as one small float64
     * tensor (lr, weight decay, t, 1 / gradient scale), since a number written into the function's
     * source would compile a new function every step; the kernel divides gradients by its
     * {@code grad_scale} (fp32 here, as the gradients). The kernel walks raw memory, ignoring
     * strides: the function refuses a tensor that is not contiguous. Its list is kept in a variable
     * and returned from: TorchScript drops an in-place op on a list nobody reads afterwards as dead code.
     */
    private void fusedUpdate(NDArray p, NDArray g, NDArray m, NDArray v, double lr, float decay, double gradientScale) {
        try (NDManager scratch = g.getManager().newSubManager()) {
            NDArray settings = NativeArrays.of(scratch, new double[] {lr, decay, steps, 1 / gradientScale}, new Shape(4));
            TorchScriptFunction.of("settings: Tensor, p: Tensor, g: Tensor, m: Tensor, v: Tensor", "Tensor", """
                    assert p.is_contiguous() and g.is_contiguous() and m.is_contiguous() and v.is_contiguous()
                    ps = [p]
                    torch._fused_adamw_(ps, [g], [m], [v], [], [settings[2:3].float()], lr=float(settings[0]), \
                    beta1=%s, beta2=%s, weight_decay=float(settings[1]), eps=%s, amsgrad=False, maximize=False, \
                    grad_scale=settings[3:4].float(), found_inf=None)
                    return ps[0]
                    """.formatted(beta1, beta2, eps)).callSingle(settings, p, g, m, v);
        }
    }

    /**
     * Counts a step whose update the trainer skipped (non-finite gradients): the moments and
     * weights stay as they are, and t keeps equal to the trainer's step, which is what a
     * resumed run restores.
     */
    public void skip() {
        steps++;
    }

    /** Steps so far, skipped ones included (the t of the bias correction). */
    public long steps() {
        return steps;
    }

    /** The moments named {@code <parameter>.exp_avg} / {@code .exp_avg_sq}, for a checkpoint. */
    public Map<String, NDArray> moments() {
        Map<String, NDArray> all = new LinkedHashMap<>();
        firstMoments.forEach((name, m) -> all.put(name + FIRST_MOMENT, m));
        secondMoments.forEach((name, v) -> all.put(name + SECOND_MOMENT, v));
        return all;
    }

    /** Restores moments saved by {@link #moments()} and the step count they belong to. */
    public void restore(Map<String, NDArray> saved, long steps) {
        restoreInto(firstMoments, saved, FIRST_MOMENT);
        restoreInto(secondMoments, saved, SECOND_MOMENT);
        this.steps = steps;
    }

    private void restoreInto(Map<String, NDArray> moments, Map<String, NDArray> saved, String suffix) {
        for (Map.Entry<String, NDArray> e : moments.entrySet()) {
            NDArray value = saved.get(e.getKey() + suffix);
            if (value == null || !value.getShape().equals(e.getValue().getShape())) {
                throw new IllegalArgumentException("optimizer state has no tensor '" + e.getKey() + suffix
                        + "' of shape " + e.getValue().getShape());
            }
            // A native copy: NDArray.set(buffer) would make the moment point into a Java buffer.
            NDArray copy = value.duplicate();
            copy.attach(manager);
            e.getValue().close();
            e.setValue(copy);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
