package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * GPT-2 inference for one sequence on the CPU, in plain Java, with the key/value cache in heap
 * arrays: the generation path on a CPU.
 *
 * <p>Why a second forward pass: decoding one token of a small model is about a hundred tiny
 * tensor ops, and through DJL each op costs 2–10 µs of dispatch (JNI, tensor handles, and a
 * BLAS call that repacks a 128×512 weight for a single row) — more than its arithmetic. For the
 * smoke model that made a cached token cost 1.7 ms, barely less than recomputing the whole
 * 64-token window (2.6 ms). The same arithmetic written as loops over the weights takes tens of
 * microseconds. Training, evaluation and GPU inference keep using {@link GPT2#forward}; tests
 * check that this class gives the same logits.
 *
 * <p>Layout: weights are copied once from the model, projections kept in GPT-2's Conv1D (in,
 * out) layout as arrays of rows, so a product is a sum of whole weight rows,
 * {@code y += x[i] · W[i]}, a loop the JIT vectorises; the LM head keeps a transposed copy of
 * the token embedding for the same reason. The rows of a prompt go through each weight row in
 * blocks of {@value #ROW_BLOCK}, blocks in parallel when the product is large.
 */
public final class GPT2Decoder {
    /** Below this many multiply-adds a product runs on the calling thread (forking costs ~20 µs). */
    private static final long PARALLEL_MIN_WORK = 1 << 20;
    /** Rows per parallel task: their outputs stay in the L1/L2 cache while weight rows stream past. */
    private static final int ROW_BLOCK = 8;

    private final GPT2Config config;
    private final int c;
    private final float[][] wte;   // (vocab, C): token embedding rows
    private final float[][] wteT;  // (C, vocab): the tied LM head, transposed for row-wise products
    private final float[][] wpe;   // (n_positions, C)
    private final Layer[] layers;
    private final float[] lnFWeight;
    private final float[] lnFBias;

    /** One block's weights; matrices as rows of their (in, out) Conv1D layout. */
    private record Layer(float[] ln1Weight, float[] ln1Bias, float[][] attnWeight, float[] attnBias,
                         float[][] attnProjWeight, float[] attnProjBias, float[] ln2Weight, float[] ln2Bias,
                         float[][] fcWeight, float[] fcBias, float[][] mlpProjWeight, float[] mlpProjBias) {}

    /** Copies the weights of {@code model} (from any device) into heap arrays. */
    public GPT2Decoder(GPT2 model) {
        this.config = model.config();
        this.c = config.nEmbd();
        Map<String, NDArray> p = model.parameters();
        String t = GPT2.PREFIX;
        wte = matrix(p, t + "wte.weight");
        wteT = transpose(wte);
        wpe = matrix(p, t + "wpe.weight");
        layers = new Layer[config.nLayer()];
        for (int l = 0; l < layers.length; l++) {
            String h = t + "h." + l + ".";
            layers[l] = new Layer(vector(p, h + "ln_1.weight"), vector(p, h + "ln_1.bias"),
                    matrix(p, h + "attn.c_attn.weight"), vector(p, h + "attn.c_attn.bias"),
                    matrix(p, h + "attn.c_proj.weight"), vector(p, h + "attn.c_proj.bias"),
                    vector(p, h + "ln_2.weight"), vector(p, h + "ln_2.bias"),
                    matrix(p, h + "mlp.c_fc.weight"), vector(p, h + "mlp.c_fc.bias"),
                    matrix(p, h + "mlp.c_proj.weight"), vector(p, h + "mlp.c_proj.bias"));
        }
        lnFWeight = vector(p, t + "ln_f.weight");
        lnFBias = vector(p, t + "ln_f.bias");
    }

    public GPT2Config config() {
        return config;
    }

    /**
     * Heap the decoder needs for {@code config}: a float copy of every weight, a second copy of
     * the token embedding (the transposed LM head), and a full key/value cache.
     */
    public static long heapBytes(GPT2Config config) {
        long c = config.nEmbd();
        long weights = config.parameterCount() + (long) config.vocabSize() * c;
        long cache = 2L * config.nLayer() * config.nPositions() * c;
        return 4 * (weights + cache);
    }

    /** Whether the decoder fits comfortably (in half of it) in a Java heap of {@code maxHeapBytes}. */
    public static boolean fitsInHeap(GPT2Config config, long maxHeapBytes) {
        return heapBytes(config) <= maxHeapBytes / 2;
    }

    /** A new, empty key/value cache with room for {@code n_positions} tokens. */
    public Session newSession() {
        return new Session();
    }

    /** One sequence's keys and values: [layer][head][position] → a head-size vector. */
    public final class Session {
        private final float[][][][] keys;
        private final float[][][][] values;
        private int length;

        private Session() {
            keys = new float[layers.length][config.nHead()][config.nPositions()][];
            values = new float[layers.length][config.nHead()][config.nPositions()][];
        }

        /** Tokens cached so far; the next token's position. */
        public int length() {
            return length;
        }

        /**
         * Feeds {@code tokens} at the positions after the cached ones and returns the logits
         * (vocab_size) of the token that follows the last of them.
         */
        public float[] append(int[] tokens) {
            int t = tokens.length;
            if (t == 0) {
                throw new IllegalArgumentException("no tokens to append");
            }
            if (length + t > config.nPositions()) {
                throw new IllegalArgumentException("sequence of " + (length + t)
                        + " tokens is longer than n_positions = " + config.nPositions());
            }
            float[][] x = new float[t][c]; // the residual stream, one row per new token
            for (int i = 0; i < t; i++) {
                int id = tokens[i];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.."
                            + (config.vocabSize() - 1) + ")");
                }
                for (int j = 0; j < c; j++) {
                    x[i][j] = wte[id][j] + wpe[length + i][j];
                }
            }
            for (int l = 0; l < layers.length; l++) {
                Layer layer = layers[l];
                float[][] qkv = linear(layerNorm(x, layer.ln1Weight(), layer.ln1Bias()), layer.attnWeight(), layer.attnBias());
                addInto(x, linear(attention(l, qkv), layer.attnProjWeight(), layer.attnProjBias()));
                float[][] hidden = linear(layerNorm(x, layer.ln2Weight(), layer.ln2Bias()), layer.fcWeight(), layer.fcBias());
                gelu(hidden);
                addInto(x, linear(hidden, layer.mlpProjWeight(), layer.mlpProjBias()));
            }
            length += t;
            // Only the last row's logits are needed.
            float[][] last = layerNorm(new float[][] {x[t - 1]}, lnFWeight, lnFBias);
            return linear(last, wteT, null)[0];
        }

        /** Stores one new row's key and value at the next position and attends to everything cached, itself included. */
        private void attendNext(int layer, float[] qkv, float[] y) {
            int hs = config.headSize();
            for (int head = 0; head < config.nHead(); head++) {
                keys[layer][head][length] = Arrays.copyOfRange(qkv, c + head * hs, c + (head + 1) * hs);
                values[layer][head][length] = Arrays.copyOfRange(qkv, 2 * c + head * hs, 2 * c + (head + 1) * hs);
            }
            attendRow(layer, qkv, length + 1, y);
        }

        /**
         * Causal self-attention of the new rows (Q, K, V side by side in each row of
         * {@code qkv}): stores their keys and values, then each head of new row i attends to
         * positions 0 .. length + i.
         */
        private float[][] attention(int layer, float[][] qkv) {
            int t = qkv.length;
            int heads = config.nHead();
            int hs = config.headSize();
            for (int i = 0; i < t; i++) {
                for (int head = 0; head < heads; head++) {
                    keys[layer][head][length + i] = Arrays.copyOfRange(qkv[i], c + head * hs, c + (head + 1) * hs);
                    values[layer][head][length + i] = Arrays.copyOfRange(qkv[i], 2 * c + head * hs, 2 * c + (head + 1) * hs);
                }
            }
            float[][] y = new float[t][c];
            rows(t, i -> attendRow(layer, qkv[i], length + i + 1, y[i]));
            return y;
        }

        /** One row's heads, each attending to the first {@code visible} cached positions. */
        private void attendRow(int layer, float[] qkv, int visible, float[] y) {
            int hs = config.headSize();
            float scale = (float) (1.0 / Math.sqrt(hs));
            float[] scores = new float[visible];
            float[] out = new float[hs];
            for (int head = 0; head < config.nHead(); head++) {
                float[][] k = keys[layer][head];
                float[][] v = values[layer][head];
                int q = head * hs;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    float[] kj = k[j];
                    float dot = 0;
                    for (int d = 0; d < hs; d++) {
                        dot += qkv[q + d] * kj[d];
                    }
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                float sum = 0;
                for (int j = 0; j < visible; j++) {
                    scores[j] = (float) Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                Arrays.fill(out, 0);
                for (int j = 0; j < visible; j++) {
                    axpy(scores[j] / sum, v[j], out);
                }
                System.arraycopy(out, 0, y, q, hs);
            }
        }
    }

    /**
     * One decoding step for many sequences at once: token i goes to {@code sessions[i]} at that
     * session's next position, and row i of the result is the logits of the token after it. The
     * projections and the LM head are one matrix-matrix product over all rows, so each weight is
     * read from memory once per step rather than once per sequence (decoding one token is bound
     * by that read); attention stays per row, against each session's own cache.
     */
    public float[][] appendEach(Session[] sessions, int[] tokens) {
        int n = sessions.length;
        if (n != tokens.length) {
            throw new IllegalArgumentException(n + " sessions but " + tokens.length + " tokens");
        }
        if (n == 0) {
            return new float[0][];
        }
        if (java.util.Set.of(sessions).size() != n) {
            throw new IllegalArgumentException("a session appears twice in one step");
        }
        float[][] x = new float[n][c];
        for (int i = 0; i < n; i++) {
            Session s = sessions[i];
            int id = tokens[i];
            if (s.length + 1 > config.nPositions()) {
                throw new IllegalArgumentException("sequence of " + (s.length + 1)
                        + " tokens is longer than n_positions = " + config.nPositions());
            }
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.."
                        + (config.vocabSize() - 1) + ")");
            }
            for (int j = 0; j < c; j++) {
                x[i][j] = wte[id][j] + wpe[s.length][j];
            }
        }
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            int layerIndex = l;
            float[][] qkv = linear(layerNorm(x, layer.ln1Weight(), layer.ln1Bias()), layer.attnWeight(), layer.attnBias());
            float[][] y = new float[n][c];
            rows(n, i -> sessions[i].attendNext(layerIndex, qkv[i], y[i]));
            addInto(x, linear(y, layer.attnProjWeight(), layer.attnProjBias()));
            float[][] hidden = linear(layerNorm(x, layer.ln2Weight(), layer.ln2Bias()), layer.fcWeight(), layer.fcBias());
            gelu(hidden);
            addInto(x, linear(hidden, layer.mlpProjWeight(), layer.mlpProjBias()));
        }
        for (Session s : sessions) {
            s.length++;
        }
        return linear(layerNorm(x, lnFWeight, lnFBias), wteT, null);
    }

    /** Runs {@code work} for rows 0..n-1, in parallel when there are enough of them to pay for it. */
    private static void rows(int n, IntConsumer work) {
        if (n < 2 * ROW_BLOCK) {
            for (int i = 0; i < n; i++) {
                work.accept(i);
            }
        } else {
            IntStream.range(0, n).parallel().forEach(work);
        }
    }

    /**
     * {@code x (rows, in) @ w (in, out) + bias} (bias optional). Each weight row is applied to
     * a block of rows before the next is read, so a prompt streams the weights once per block
     * rather than once per token; blocks run in parallel when the product is large. A single
     * row (decoding one token) is bound by reading the weights from memory, so its weight rows
     * are split between the cores instead, each summing into its own output row.
     */
    private static float[][] linear(float[][] x, float[][] w, float[] bias) {
        int rows = x.length;
        int out = w[0].length;
        float[][] y = new float[rows][];
        for (int r = 0; r < rows; r++) {
            y[r] = bias == null ? new float[out] : bias.clone();
        }
        boolean large = (long) rows * w.length * out >= PARALLEL_MIN_WORK;
        if (large && rows >= 2 * ROW_BLOCK) {
            IntStream.range(0, (rows + ROW_BLOCK - 1) / ROW_BLOCK).parallel()
                    .forEach(b -> accumulate(x, w, 0, w.length, y, b * ROW_BLOCK, Math.min(rows, (b + 1) * ROW_BLOCK)));
        } else if (large && CORES > 1) {
            accumulateSplitByWeightRows(x, w, y);
        } else {
            accumulate(x, w, 0, w.length, y, 0, rows);
        }
        return y;
    }

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    /** y += x @ w with w's rows in one slice per core, each slice into a partial sum, added at the end. */
    private static void accumulateSplitByWeightRows(float[][] x, float[][] w, float[][] y) {
        int parts = Math.max(1, Math.min(CORES, w.length / 4));
        int slice = (w.length / parts + 3) / 4 * 4; // whole groups of four rows (see accumulate)
        float[][][] partial = new float[parts][][];
        IntStream.range(0, parts).parallel().forEach(p -> {
            float[][] sum = p == 0 ? y : new float[y.length][y[0].length];
            partial[p] = sum;
            accumulate(x, w, Math.min(w.length, p * slice), p == parts - 1 ? w.length : Math.min(w.length, (p + 1) * slice),
                    sum, 0, y.length);
        });
        for (int p = 1; p < parts; p++) {
            for (int r = 0; r < y.length; r++) {
                axpy(1f, partial[p][r], y[r]);
            }
        }
    }

    /**
     * Rows [from, to) of y += x[:, wFrom..wTo) @ w[wFrom..wTo): a sum of weight rows,
     * {@code y[r] += x[r][i] · w[i]}, four weight rows per pass over y (a quarter of the loads
     * and stores of y; 25% faster measured).
     */
    private static void accumulate(float[][] x, float[][] w, int wFrom, int wTo, float[][] y, int from, int to) {
        int i = wFrom;
        for (; i + 3 < wTo; i += 4) {
            float[] w0 = w[i];
            float[] w1 = w[i + 1];
            float[] w2 = w[i + 2];
            float[] w3 = w[i + 3];
            for (int r = from; r < to; r++) {
                float[] xr = x[r];
                float a0 = xr[i];
                float a1 = xr[i + 1];
                float a2 = xr[i + 2];
                float a3 = xr[i + 3];
                float[] yr = y[r];
                for (int j = 0; j < yr.length; j++) {
                    yr[j] += a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j];
                }
            }
        }
        for (; i < wTo; i++) {
            for (int r = from; r < to; r++) {
                axpy(x[r][i], w[i], y[r]);
            }
        }
    }

    /**
     * {@code y += a · x}. Whole arrays from index 0 on purpose: JDK 17's JIT vectorises this loop
     * only when neither array is read at an offset (measured 5 µs against 37 µs for a 128×512
     * matrix-vector product with offsets).
     */
    private static void axpy(float a, float[] x, float[] y) {
        for (int j = 0; j < y.length; j++) {
            y[j] += a * x[j];
        }
    }

    /** LayerNorm of each row (biased variance, as PyTorch), into new rows. */
    private float[][] layerNorm(float[][] x, float[] gain, float[] bias) {
        float eps = (float) config.layerNormEpsilon();
        float[][] out = new float[x.length][c];
        for (int r = 0; r < x.length; r++) {
            float[] row = x[r];
            float mean = 0;
            for (int j = 0; j < c; j++) {
                mean += row[j];
            }
            mean /= c;
            float var = 0;
            for (int j = 0; j < c; j++) {
                float d = row[j] - mean;
                var += d * d;
            }
            var /= c;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            for (int j = 0; j < c; j++) {
                out[r][j] = (row[j] - mean) * inv * gain[j] + bias[j];
            }
        }
        return out;
    }

    /** GELU in place: exact x·Φ(x) for "gelu", the tanh approximation for "gelu_new" (as {@link GPT2}). */
    private void gelu(float[][] x) {
        boolean exact = config.activationFunction().equals("gelu");
        rows(x.length, r -> {
            float[] row = x[r];
            for (int i = 0; i < row.length; i++) {
                double v = row[i];
                row[i] = exact ? (float) (v * normalCdf(v))
                        : (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
            }
        });
    }

    // Φ(x) and φ(x) = Φ'(x) tabulated every 1/64 on [-8, 8]: a cubic Hermite interpolation between
    // two entries is within 1e-10 of Φ and costs a few multiply-adds, where evaluating erf costs
    // an exp (GELU was a fifth of a decoded token's time before the table).
    private static final int CDF_STEPS_PER_UNIT = 64;
    private static final double CDF_RANGE = 8;
    private static final double[] CDF = new double[(int) (2 * CDF_RANGE * CDF_STEPS_PER_UNIT) + 2];
    private static final double[] PDF = new double[CDF.length];

    static {
        for (int k = 0; k < CDF.length; k++) {
            double x = k / (double) CDF_STEPS_PER_UNIT - CDF_RANGE;
            CDF[k] = 0.5 * (1 + erf(x / Math.sqrt(2)));
            PDF[k] = Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
        }
    }

    /** The standard normal CDF Φ(x), by cubic Hermite interpolation of the table above. */
    static double normalCdf(double x) {
        if (!(x > -CDF_RANGE)) {
            return x != x ? x : 0; // NaN stays NaN; below -8, Φ < 1e-15
        }
        if (x >= CDF_RANGE) {
            return 1;
        }
        double u = (x + CDF_RANGE) * CDF_STEPS_PER_UNIT;
        int k = (int) u;
        double f = u - k;
        double f2 = f * f;
        double f3 = f2 * f;
        double h = 1.0 / CDF_STEPS_PER_UNIT;
        return (2 * f3 - 3 * f2 + 1) * CDF[k] + (f3 - 2 * f2 + f) * h * PDF[k]
                + (3 * f2 - 2 * f3) * CDF[k + 1] + (f3 - f2) * h * PDF[k + 1];
    }

    /**
     * erf to a relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit of erfc), well
     * under float precision; Java's Math has no erf.
     */
    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc : erfc - 1;
    }

    private static void addInto(float[][] x, float[][] delta) {
        for (int r = 0; r < x.length; r++) {
            axpy(1, delta[r], x[r]);
        }
    }

    private static float[] vector(Map<String, NDArray> parameters, String name) {
        NDArray array = parameters.get(name);
        if (array == null) {
            throw new IllegalArgumentException("model has no tensor '" + name + "'");
        }
        return array.toFloatArray();
    }

    /** A 2-D tensor as an array of its rows. */
    private static float[][] matrix(Map<String, NDArray> parameters, String name) {
        float[] flat = vector(parameters, name);
        int rows = Math.toIntExact(parameters.get(name).getShape().get(0));
        int cols = flat.length / rows;
        float[][] m = new float[rows][];
        for (int r = 0; r < rows; r++) {
            m[r] = Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        }
        return m;
    }

    private static float[][] transpose(float[][] m) {
        float[][] t = new float[m[0].length][m.length];
        for (int r = 0; r < m.length; r++) {
            for (int col = 0; col < m[r].length; col++) {
                t[col][r] = m[r][col];
            }
        }
        return t;
    }
}
