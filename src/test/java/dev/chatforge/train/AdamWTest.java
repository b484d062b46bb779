package dev.chatforge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The update must be torch.optim.AdamW, step for step, decay on matrices only, with clipping's
 * gradient scale applied, for small parameters and large ones alike.
 */
class AdamWTest {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.95;
    private static final double EPS = 1e-8;
    private static final double DECAY = 0.1;

    @Test
    void threeUpdatesMatchTorchAdamWComputedInDoubles() {
        float[] matrix = {0.5f, -1.25f, 2f, 0.03f, -0.7f, 1.1f};
        float[] vector = {0.2f, -0.4f, 3f};
        float[][] matrixGrads = {{0.1f, -0.2f, 0.3f, 1e-4f, 0f, -2f}, {-0.3f, 0.1f, 0.5f, 0.2f, 1f, -0.1f},
                {0.05f, 0.05f, -0.05f, 0.3f, -0.2f, 0.4f}};
        float[][] vectorGrads = {{1f, -0.5f, 0.25f}, {0.5f, 0.5f, -1f}, {-0.2f, 0.1f, 0.7f}};
        double[] lrs = {1e-2, 5e-3, 2e-2};
        double[] scales = {1.0, 0.5, 1.0}; // the second step clipped to half
        double[][] expectedMatrix = reference(matrix, matrixGrads, lrs, scales, DECAY);
        double[][] expectedVector = reference(vector, vectorGrads, lrs, scales, 0); // a bias: no decay

        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> parameters = new LinkedHashMap<>();
            parameters.put("w", manager.create(matrix, new Shape(2, 3)));
            parameters.put("b", manager.create(vector, new Shape(3)));
            try (AdamW adamW = new AdamW(parameters, manager, BETA1, BETA2, EPS, DECAY)) {
                for (int step = 0; step < 3; step++) {
                    Map<String, NDArray> gradients = Map.of(
                            "w", manager.create(matrixGrads[step], new Shape(2, 3)),
                            "b", manager.create(vectorGrads[step], new Shape(3)));
                    adamW.update(parameters, gradients, lrs[step], scales[step]);
                }
                assertEquals(3, adamW.steps());
                assertArrayEquals(toFloats(expectedMatrix[0]), parameters.get("w").toFloatArray(), 1e-6f);
                assertArrayEquals(toFloats(expectedVector[0]), parameters.get("b").toFloatArray(), 1e-6f);
                // the raw (not bias-corrected) moments, as torch stores exp_avg / exp_avg_sq
                assertArrayEquals(toFloats(expectedMatrix[1]), adamW.moments().get("w" + AdamW.FIRST_MOMENT).toFloatArray(), 1e-6f);
                assertArrayEquals(toFloats(expectedMatrix[2]), adamW.moments().get("w" + AdamW.SECOND_MOMENT).toFloatArray(), 1e-7f);
            }
        }
    }

    @Test
    void aLargeMatrixMatchesTorchAdamWToo() {
        int rows = 1100;
        int cols = 1000; // 1.1M elements: the fused kernel's vectorised loop and its parallel chunks
        java.util.Random random = new java.util.Random(8);
        float[] matrix = new float[rows * cols];
        float[][] grads = new float[3][rows * cols];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) random.nextGaussian();
            for (float[] g : grads) {
                g[i] = (float) (random.nextGaussian() * 0.1);
            }
        }
        double[] lrs = {1e-2, 5e-3, 2e-2};
        double[] scales = {1.0, 0.5, 1.0};
        double[][] expected = reference(matrix, grads, lrs, scales, DECAY);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> parameters = Map.of("w", manager.create(matrix, new Shape(rows, cols)));
            try (AdamW adamW = new AdamW(parameters, manager, BETA1, BETA2, EPS, DECAY)) {
                for (int step = 0; step < 3; step++) {
                    try (NDManager stepManager = manager.newSubManager()) {
                        adamW.update(parameters, Map.of("w", stepManager.create(grads[step], new Shape(rows, cols))),
                                lrs[step], scales[step]);
                    }
                }
                assertArrayEquals(toFloats(expected[0]), parameters.get("w").toFloatArray(), 2e-6f);
                assertArrayEquals(toFloats(expected[1]), adamW.moments().get("w" + AdamW.FIRST_MOMENT).toFloatArray(), 1e-7f);
                assertArrayEquals(toFloats(expected[2]), adamW.moments().get("w" + AdamW.SECOND_MOMENT).toFloatArray(), 1e-8f);
            }
            assertEquals(1, manager.getManagedArrays().size(), "no slice or temporary is left in the parameter's manager");
        }
    }

    @Test
    void globalNormIsTheNormOfAllGradientsTogetherAndTheScaleClipsToTheLimit() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.create(new float[] {3f, 0f, -4f, 12f}, new Shape(2, 2));
            NDArray b = manager.create(new float[] {84f});
            assertEquals(85.0, GradientClipping.globalNorm(List.of(a, b)), 1e-4); // √(9+16+144+7056)
            assertEquals(1.0 / (85.0 + 1e-6), GradientClipping.scale(85.0, 1.0), 1e-12);
            assertEquals(1.0, GradientClipping.scale(0.5, 1.0));
            assertEquals(1.0, GradientClipping.scale(85.0, 0)); // 0: measure only
        }
    }

    /** torch.optim.AdamW's update in doubles: {parameter, exp_avg, exp_avg_sq} after the steps. */
    private static double[][] reference(float[] start, float[][] grads, double[] lrs, double[] scales, double decay) {
        int n = start.length;
        double[] p = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = start[i];
        }
        for (int t = 1; t <= grads.length; t++) {
            double lr = lrs[t - 1];
            for (int i = 0; i < n; i++) {
                double g = grads[t - 1][i] * scales[t - 1];
                p[i] *= 1 - lr * decay;
                m[i] = BETA1 * m[i] + (1 - BETA1) * g;
                v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
                double mHat = m[i] / (1 - Math.pow(BETA1, t));
                double vHat = v[i] / (1 - Math.pow(BETA2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + EPS);
            }
        }
        return new double[][] {p, m, v};
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /** The fused CPU kernel walks raw memory: a strided view would be updated in the wrong places, so it is refused. */
    @Test
    void aParameterThatIsNotContiguousIsRefusedNotMisupdated() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray transposed = manager.randomNormal(new Shape(3, 4)).transpose(); // a (4, 3) view, strides (1, 4)
            float[] before = transposed.toFloatArray();
            Map<String, NDArray> parameters = Map.of("w", transposed);
            try (AdamW adamW = new AdamW(parameters, manager, BETA1, BETA2, EPS, DECAY)) {
                RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                        () -> adamW.update(parameters, Map.of("w", manager.ones(new Shape(4, 3))), 1e-2, 1.0));
                assertTrue(e.getMessage().contains("is_contiguous"), e.getMessage());
            }
            assertArrayEquals(before, transposed.toFloatArray());
        }
    }
}
