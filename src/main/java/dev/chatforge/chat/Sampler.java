package dev.chatforge.chat;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from a row of logits, the way Hugging Face's {@code generate} does:
 * temperature, then top-k, then top-p (nucleus), then a draw from what is left. Temperature 0
 * means greedy (argmax). A seeded RNG makes a run reproducible: the same seed, settings and
 * logits give the same tokens.
 *
 * <p>Ties are resolved so that the kept set never depends on sort order: top-k keeps every
 * token whose logit equals the k-th largest (so it may keep more than k, as HF's
 * {@code TopKLogitsWarper} does), and top-p keeps every token tied with the least probable
 * token of the nucleus. Greedy picks the lowest id among equal maxima.
 */
public final class Sampler {
    /**
     * Slack for "cumulative mass reached p": logits are float32 (about 7 significant digits),
     * so probabilities that are exactly p in intent sum to p only within ~1e-7.
     */
    private static final double MASS_EPSILON = 1e-6;

    private final double temperature;
    private final int topK;
    private final double topP;
    private final Random random;

    /**
     * @param temperature 0 for greedy, otherwise logits are divided by it (higher = more random)
     * @param topK        keep the k most likely tokens; 0 disables
     * @param topP        keep the smallest set of most likely tokens whose mass reaches p; 1 disables
     * @param seed        seeds the RNG, so a run can be repeated exactly
     */
    public Sampler(double temperature, int topK, double topP, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new Random(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** The next token id. */
    public int sample(float[] logits) {
        if (logits.length == 0) {
            throw new IllegalArgumentException("no logits to sample from");
        }
        if (isGreedy()) {
            return argmax(logits);
        }
        double[] probs = probabilities(logits);
        double u = random.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u landed in the rounding gap below 1.0
    }

    /**
     * The distribution {@link #sample} draws from: temperature-scaled softmax restricted to
     * the top-k / top-p set and renormalised; 0 for every excluded token. For greedy, all mass
     * on the argmax.
     */
    public double[] probabilities(float[] logits) {
        double[] probs = new double[logits.length];
        if (isGreedy()) {
            probs[argmax(logits)] = 1;
            return probs;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        if (max == Double.NEGATIVE_INFINITY || Double.isNaN(max)) {
            throw new IllegalArgumentException("logits are all -inf or NaN");
        }
        double[] scaled = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scaled[i] = (logits[i] - max) / temperature;
        }
        boolean[] kept = new boolean[logits.length];
        Arrays.fill(kept, true);
        if (topK > 0 && topK < logits.length) {
            double kth = kthLargest(scaled, topK);
            for (int i = 0; i < scaled.length; i++) {
                kept[i] = scaled[i] >= kth;
            }
        }
        softmaxOver(scaled, kept, probs);
        if (topP < 1) {
            restrictToNucleus(probs, kept);
            softmaxOver(scaled, kept, probs);
        }
        return probs;
    }

    /** Lowest id among the largest logits. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double kthLargest(double[] values, int k) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length - k];
    }

    private static void softmaxOver(double[] scaled, boolean[] kept, double[] out) {
        double sum = 0;
        for (int i = 0; i < scaled.length; i++) {
            out[i] = kept[i] ? Math.exp(scaled[i]) : 0;
            sum += out[i];
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= sum;
        }
    }

    /** Unmarks every token outside the nucleus: the most likely tokens until their mass reaches top_p. */
    private void restrictToNucleus(double[] probs, boolean[] kept) {
        Integer[] order = new Integer[probs.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b));
        double cumulative = 0;
        double smallestKept = 0;
        for (int i : order) {
            if (!kept[i]) {
                break; // sorted by probability, so only excluded (zero) tokens follow
            }
            cumulative += probs[i];
            smallestKept = probs[i];
            if (cumulative >= topP - MASS_EPSILON) {
                break;
            }
        }
        for (int i = 0; i < probs.length; i++) {
            kept[i] = kept[i] && probs[i] >= smallestKept;
        }
    }
}
