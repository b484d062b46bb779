package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Parity with a plain-Java, double-precision GPT-2 forward written from Hugging Face's
 * {@code GPT2Model} (Conv1D weights (in, out), fused c_attn split q|k|v, heads as
 * view(T, nh, hs)), sharing nothing with the DJL implementation but the weights. Catches a
 * wrong layout, head split or mask that shape and causality tests would miss.
 */
class GPT2ReferenceTest {

    @Test
    void logitsMatchAPlainJavaReferenceOfHuggingFaceGpt2() {
        for (String activation : new String[] {"gelu", "gelu_new"}) {
            GPT2Config config = new GPT2Config(40, 12, 24, 2, 3, activation, 0, 0, 0, 1e-5, 0.02);
            // A larger init than GPT-2's so every term (biases, LayerNorm gains) is far from trivial.
            try (GPT2 model = GPT2.create(config.withSizes(12, 24, 2, 3), Device.cpu(), 21)) {
                perturb(model);
                int[] tokens = {3, 17, 5, 39, 0, 22, 22, 8, 1};
                float[] got;
                try (NDManager m = model.manager().newSubManager()) {
                    got = model.forward(m.create(tokens, new Shape(1, tokens.length)), false).toFloatArray();
                }
                double[][] expected = reference(model, config, tokens);
                double maxDiff = 0;
                for (int t = 0; t < tokens.length; t++) {
                    for (int v = 0; v < config.vocabSize(); v++) {
                        maxDiff = Math.max(maxDiff, Math.abs(expected[t][v] - got[t * config.vocabSize() + v]));
                    }
                }
                assertTrue(maxDiff < 1e-4, activation + ": max |DJL − reference| = " + maxDiff);
            }
        }
    }

    /** Random values in every tensor (biases and gains too), so none of them can be silently ignored. */
    static void perturb(GPT2 model) {
        java.util.Random r = new java.util.Random(5);
        for (NDArray p : model.parameters().values()) {
            float[] v = new float[(int) p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * 0.3 + (p.getShape().dimension() == 1 ? 0.5 : 0));
            }
            p.set(v);
        }
    }

    static double[][] reference(GPT2 model, GPT2Config cfg, int[] tokens) {
        Map<String, NDArray> p = model.parameters();
        int tLen = tokens.length;
        int c = cfg.nEmbd();
        int heads = cfg.nHead();
        int hs = c / heads;
        double[][] wte = matrix(p.get("transformer.wte.weight"), cfg.vocabSize(), c);
        double[][] wpe = matrix(p.get("transformer.wpe.weight"), cfg.nPositions(), c);
        double[][] x = new double[tLen][c];
        for (int t = 0; t < tLen; t++) {
            for (int i = 0; i < c; i++) {
                x[t][i] = wte[tokens[t]][i] + wpe[t][i];
            }
        }
        for (int l = 0; l < cfg.nLayer(); l++) {
            String h = "transformer.h." + l + ".";
            double[][] a = layerNorm(x, vector(p.get(h + "ln_1.weight")), vector(p.get(h + "ln_1.bias")));
            double[][] qkv = conv1d(a, matrix(p.get(h + "attn.c_attn.weight"), c, 3 * c), vector(p.get(h + "attn.c_attn.bias")));
            double[][] y = new double[tLen][c];
            for (int head = 0; head < heads; head++) {
                for (int i = 0; i < tLen; i++) {
                    double[] scores = new double[i + 1]; // causal: keys 0..i
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double s = 0;
                        for (int d = 0; d < hs; d++) {
                            s += qkv[i][head * hs + d] * qkv[j][c + head * hs + d];
                        }
                        scores[j] = s / Math.sqrt(hs);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < hs; d++) {
                            y[i][head * hs + d] += scores[j] / sum * qkv[j][2 * c + head * hs + d];
                        }
                    }
                }
            }
            add(x, conv1d(y, matrix(p.get(h + "attn.c_proj.weight"), c, c), vector(p.get(h + "attn.c_proj.bias"))));
            double[][] b = layerNorm(x, vector(p.get(h + "ln_2.weight")), vector(p.get(h + "ln_2.bias")));
            double[][] f = conv1d(b, matrix(p.get(h + "mlp.c_fc.weight"), c, 4 * c), vector(p.get(h + "mlp.c_fc.bias")));
            for (double[] row : f) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = gelu(row[i], cfg.activationFunction());
                }
            }
            add(x, conv1d(f, matrix(p.get(h + "mlp.c_proj.weight"), 4 * c, c), vector(p.get(h + "mlp.c_proj.bias"))));
        }
        double[][] out = layerNorm(x, vector(p.get("transformer.ln_f.weight")), vector(p.get("transformer.ln_f.bias")));
        double[][] logits = new double[tLen][cfg.vocabSize()];
        for (int t = 0; t < tLen; t++) {
            for (int v = 0; v < cfg.vocabSize(); v++) {
                for (int i = 0; i < c; i++) {
                    logits[t][v] += out[t][i] * wte[v][i]; // tied head
                }
            }
        }
        return logits;
    }

    static double gelu(double x, String kind) {
        if (kind.equals("gelu_new")) {
            return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        }
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** erf by its Maclaurin series (|x| small here) or the asymptotic tail; accurate to ~1e-12. */
    static double erf(double x) {
        if (Math.abs(x) > 5) {
            return Math.signum(x);
        }
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static double[][] conv1d(double[][] x, double[][] w, double[] b) {
        double[][] y = new double[x.length][b.length];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < b.length; o++) {
                double s = b[o];
                for (int i = 0; i < w.length; i++) {
                    s += x[t][i] * w[i][o];
                }
                y[t][o] = s;
            }
        }
        return y;
    }

    static double[][] layerNorm(double[][] x, double[] g, double[] b) {
        double[][] y = new double[x.length][g.length];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (double v : x[t]) {
                mean += v / g.length;
            }
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean) / g.length;
            }
            for (int i = 0; i < g.length; i++) {
                y[t][i] = (x[t][i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
            }
        }
        return y;
    }

    static void add(double[][] x, double[][] y) {
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < x[t].length; i++) {
                x[t][i] += y[t][i];
            }
        }
    }

    static double[][] matrix(NDArray a, int rows, int cols) {
        float[] v = a.toFloatArray();
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m[r][c] = v[r * cols + c];
            }
        }
        return m;
    }

    static double[] vector(NDArray a) {
        float[] v = a.toFloatArray();
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
