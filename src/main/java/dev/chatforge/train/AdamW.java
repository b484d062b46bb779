package dev.chatforge.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.model.Slices;
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

    /** Parameters of at least this many elements are updated in slices ({@link #updateInSlices}). */
    static final long IN_PLACE_FROM = 1L << 18;
    /** Elements per slice: 1 MB of fp32, so a slice's parameter, gradient, moments and temporaries stay in cache. */
    static final long SLICE_ELEMENTS = 1L << 18;

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
     * gradients are scaled by {@code gradientScale} first (global-norm clipping). The
     * gradients themselves are left as they are (the trainer zeroes them).
     *
     * <p>A small parameter (or any on a GPU) is one call of DJL's native fused {@code adamUpdate}
     * (instead of a dozen element-wise ops, each a JNI call); a large one on the CPU is updated in
     * slices ({@link #updateInSlices}). Both compute
     * {@code p -= lrᵤ·m / (√v + εᵤ)} with the raw moments, which is torch's
     * {@code p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)} with {@code lrᵤ = lr·√(1-β2ᵗ)/(1-β1ᵗ)}
     * and {@code εᵤ = ε·√(1-β2ᵗ)}; its AdamW form decays {@code p -= lr·wd·p} before the
     * update, with wd = 0 for biases and LayerNorm gains.
     */
    public void update(Map<String, NDArray> parameters, Map<String, NDArray> gradients, double lr,
                       double gradientScale) {
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double sqrtCorrection2 = Math.sqrt(1 - Math.pow(beta2, steps));
        float stepSize = (float) (lr * sqrtCorrection2 / correction1);
        float epsilon = (float) (eps * sqrtCorrection2);
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            NDArray g = gradients.get(e.getKey());
            NDArray m = firstMoments.get(e.getKey());
            NDArray v = secondMoments.get(e.getKey());
            float decay = p.getShape().dimension() >= 2 ? (float) weightDecay : 0f; // matrices only
            if (p.size() < IN_PLACE_FROM || p.getDevice().isGpu()) { // a GPU's caching allocator reuses the temporaries
                p.getNDArrayInternal().adamUpdate(new NDList(p, g, m, v), new NDList(p),
                        (float) lr, stepSize, decay, (float) gradientScale, -1f /* no element-wise clip */,
                        (float) beta1, (float) beta2, epsilon, false, true);
            } else {
                updateInSlices(p, g, m, v, lr * decay, gradientScale, stepSize, epsilon);
            }
        }
    }

    /**
     * The same update for a large parameter, in place and a slice of rows at a time: the native
     * fused update allocates seven temporaries the size of the parameter, which for GPT-2's
     * token embedding (154 MB each, above glibc's mmap threshold) came as fresh pages every step;
     * it took 0.6-1.3 s of a 3.6 s step of the 124M model, now ~0.3 s. Slices of 1 MB keep the
     * temporaries small and the working set of the dozen passes in the CPU's cache.
     */
    private void updateInSlices(NDArray p, NDArray g, NDArray m, NDArray v, double lrTimesDecay, double gradientScale,
                                float stepSize, float epsilon) {
        long rows = p.getShape().get(0);
        long sliceRows = Math.max(1, SLICE_ELEMENTS / (p.size() / rows));
        try (NDManager scratch = g.getManager().newSubManager()) {
            // The update's constants, made once natively (a Java number operand costs a buffer and a copy per op).
            NDArray keep = constant(scratch, 1 - lrTimesDecay);
            NDArray b1 = constant(scratch, beta1);
            NDArray b2 = constant(scratch, beta2);
            NDArray gradientToFirst = constant(scratch, (1 - beta1) * gradientScale);
            NDArray squareToSecond = constant(scratch, (1 - beta2) * gradientScale * gradientScale);
            NDArray eps = constant(scratch, epsilon);
            NDArray step = constant(scratch, stepSize);
            for (long r0 = 0; r0 < rows; r0 += sliceRows) {
                long r1 = Math.min(rows, r0 + sliceRows);
                try (NDManager slice = scratch.newSubManager()) {
                    NDArray ps = Slices.rows(p, r0, r1, slice);
                    NDArray gs = Slices.rows(g, r0, r1, slice);
                    NDArray ms = Slices.rows(m, r0, r1, slice);
                    NDArray vs = Slices.rows(v, r0, r1, slice);
                    if (lrTimesDecay != 0) {
                        ps.muli(keep);                                             // decoupled weight decay
                    }
                    ms.muli(b1).addi(gs.mul(gradientToFirst));                     // m = β1·m + (1-β1)·g
                    vs.muli(b2).addi(gs.mul(gs).muli(squareToSecond));             // v = β2·v + (1-β2)·g²
                    ps.subi(ms.div(vs.sqrt().addi(eps)).muli(step));               // p -= lrᵤ·m / (√v + εᵤ)
                }
            }
        }
    }

    private static NDArray constant(NDManager manager, double value) {
        return manager.full(new Shape(), (float) value);
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
