package dev.chatforge.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.Collection;

/**
 * Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}: when the L2 norm of
 * all gradients together exceeds {@code maxNorm}, every gradient is scaled by
 * {@code maxNorm / (norm + 1e-6)}. DJL only clips element-wise, so the norm is computed here and
 * the scale is applied by the optimizer ({@link AdamW#update}), which reads every gradient once
 * anyway.
 */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * ‖all gradients‖₂ = ‖(‖g₁‖₂, …, ‖gₙ‖₂)‖₂: one native norm per gradient and one over the
     * stacked norms (three ops per gradient the naive way). NaN or infinite when a gradient is.
     * The gradients must belong to a per-step manager (the results land there).
     */
    public static double globalNorm(Collection<NDArray> gradients) {
        if (gradients.isEmpty()) {
            return 0;
        }
        NDList norms = new NDList(gradients.size());
        for (NDArray g : gradients) {
            norms.add(g.norm());
        }
        return NDArrays.stack(norms).norm().getFloat();
    }

    /** The factor that brings {@code norm} down to {@code maxNorm}; 1 when under it or {@code maxNorm <= 0}. */
    public static double scale(double norm, double maxNorm) {
        return maxNorm > 0 && norm > maxNorm && Double.isFinite(norm) ? maxNorm / (norm + 1e-6) : 1.0;
    }
}
