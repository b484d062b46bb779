package dev.chatforge.train;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

/**
 * Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}: when the L2 norm of
 * all gradients together exceeds {@code maxNorm}, every gradient is scaled by
 * {@code maxNorm / norm}. DJL only clips element-wise, so this is done by hand, in place.
 */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * Clips in place and returns the norm before clipping (NaN or infinite when a gradient
     * is). {@code maxNorm <= 0} only measures. The gradients must belong to a per-step manager.
     */
    public static double clipGlobalNorm(Collection<NDArray> gradients, double maxNorm) {
        NDArray sumOfSquares = null;
        for (NDArray g : gradients) {
            NDArray s = g.square().sum();
            sumOfSquares = sumOfSquares == null ? s : sumOfSquares.add(s);
        }
        if (sumOfSquares == null) {
            return 0;
        }
        double norm = Math.sqrt(sumOfSquares.getFloat());
        if (maxNorm > 0 && norm > maxNorm && Double.isFinite(norm)) {
            double scale = maxNorm / (norm + 1e-6);
            for (NDArray g : gradients) {
                g.muli(scale);
            }
        }
        return norm;
    }
}
