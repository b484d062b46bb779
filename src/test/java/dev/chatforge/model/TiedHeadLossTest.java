package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written head gradient must be autograd's: the same loss and the same gradient of every
 * parameter as autograd through the full logits (log-softmax, gather, weighted sum), with chunks
 * and vocabulary slices small enough to cross their borders, masked and weighted targets, and two
 * micro-batches accumulated into one step (which reuse the gradient buffer).
 */
class TiedHeadLossTest {
    private static final GPT2Config CONFIG = new GPT2Config(37, 16, 24, 2, 4, "gelu_new", 0, 0, 0, 1e-5, 0.02);
    private static final int ROWS = 3;
    private static final int LENGTH = 16;

    @Test
    void lossAndGradientsEqualAutogradThroughTheFullLogits() {
        Random random = new Random(11);
        int n = ROWS * LENGTH;
        int[][] inputs = {random.ints(n, 0, 37).toArray(), random.ints(n, 0, 37).toArray()};
        int[][] targets = {random.ints(n, 0, 37).toArray(), random.ints(n, 0, 37).toArray()};
        float[][] weights = new float[2][n];
        for (float[] w : weights) {
            for (int i = 0; i < n; i++) {
                w[i] = i % 5 == 0 ? 0f : i % 7 == 0 ? 0.5f : 1f; // a prompt left out, a token half-weighted
            }
        }
        double divisor = 70;
        try (GPT2 model = GPT2.create(CONFIG, Device.cpu(), 2)) {
            Object[] reference = autograd(model, inputs, targets, weights, divisor);
            // 37 × 5 floats: 5 rows of logits per chunk, 7 vocabulary rows per slice of wte's gradient.
            for (long chunkFloats : new long[] {37 * 5, TiedHeadLoss.CHUNK_FLOATS}) {
                Object[] byHand = byHand(model, inputs, targets, weights, divisor, chunkFloats);
                assertEquals((double) reference[0], (double) byHand[0], 1e-4, "loss sum, chunk " + chunkFloats);
                @SuppressWarnings("unchecked") Map<String, float[]> expected = (Map<String, float[]>) reference[1];
                @SuppressWarnings("unchecked") Map<String, float[]> got = (Map<String, float[]>) byHand[1];
                for (String name : expected.keySet()) {
                    assertArrayEquals(expected.get(name), got.get(name), 2e-6f, name + ", chunk " + chunkFloats);
                }
            }
        }
    }

    @Test
    void aBatchWithNothingToLearnGivesZeroGradients() {
        int n = ROWS * LENGTH;
        try (GPT2 model = GPT2.create(CONFIG, Device.cpu(), 2)) {
            Object[] result = byHand(model, new int[][] {new Random(1).ints(n, 0, 37).toArray()},
                    new int[][] {new Random(2).ints(n, 0, 37).toArray()}, new float[][] {new float[n]}, 1, 37 * 5);
            assertEquals(0.0, (double) result[0]);
            @SuppressWarnings("unchecked") Map<String, float[]> gradients = (Map<String, float[]>) result[1];
            for (Map.Entry<String, float[]> g : gradients.entrySet()) {
                assertArrayEquals(new float[g.getValue().length], g.getValue(), 0f, g.getKey());
            }
        }
    }

    @Test
    void tokenLossesEqualTheLogSoftmaxOfTheFullLogits() {
        try (GPT2 model = GPT2.create(CONFIG, Device.cpu(), 4); NDManager m = model.manager().newSubManager()) {
            Shape shape = new Shape(ROWS, LENGTH);
            NDArray inputs = m.create(new Random(3).ints(ROWS * LENGTH, 0, 37).toArray(), shape);
            NDArray targets = m.create(new Random(4).ints(ROWS * LENGTH, 0, 37).toArray(), shape);
            float[] expected = referenceLosses(model.forward(inputs, false), targets).toFloatArray();
            NDArray chunked = TiedHeadLoss.tokenLosses(model, model.hidden(inputs, false), targets, 37 * 5);
            assertEquals(shape, chunked.getShape());
            assertArrayEquals(expected, chunked.toFloatArray(), 1e-5f);
            assertArrayEquals(expected, model.tokenLosses(inputs, targets).toFloatArray(), 1e-5f);
        }
    }

    /** The plain formulation: NLL of every target from the full logits. */
    private static NDArray referenceLosses(NDArray logits, NDArray targets) {
        NDArray index = targets.toType(DataType.INT64, false).expandDims(-1);
        return logits.logSoftmax(-1).gather(index, -1).squeeze(-1).neg();
    }

    private static Object[] autograd(GPT2 model, int[][] inputs, int[][] targets, float[][] weights, double divisor) {
        double lossSum = 0;
        try (NDManager step = model.manager().newSubManager()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (int b = 0; b < inputs.length; b++) {
                    Shape shape = new Shape(ROWS, LENGTH);
                    NDArray sum = referenceLosses(model.forward(step.create(inputs[b], shape), true),
                            step.create(targets[b], shape)).mul(step.create(weights[b], shape)).sum();
                    collector.backward(sum.div(step.full(new Shape(), (float) divisor)));
                    lossSum += sum.getFloat();
                }
            }
            return new Object[] {lossSum, takeGradients(model, step)};
        }
    }

    private static Object[] byHand(GPT2 model, int[][] inputs, int[][] targets, float[][] weights, double divisor,
                                   long chunkFloats) {
        double lossSum = 0;
        try (NDManager step = model.manager().newSubManager(); TiedHeadLoss headLoss = new TiedHeadLoss(model, chunkFloats)) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (int b = 0; b < inputs.length; b++) {
                    try (NDManager micro = step.newSubManager()) {
                        TiedHeadLoss.Pass head = headLoss.forwardBackward(
                                model.hidden(micro.create(inputs[b], new Shape(ROWS, LENGTH)), true),
                                targets[b], weights[b], 1 / divisor);
                        collector.backward(head.surrogate());
                        head.addTokenEmbeddingGradient();
                        lossSum += head.lossSum();
                    }
                }
            }
            return new Object[] {lossSum, takeGradients(model, step)};
        }
    }

    /** Every parameter's gradient, which is then zeroed for the next computation. */
    private static Map<String, float[]> takeGradients(GPT2 model, NDManager step) {
        Map<String, float[]> result = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
            NDArray g = p.getValue().getGradient();
            g.attach(step);
            result.put(p.getKey(), g.toFloatArray());
            g.muli(0);
        }
        return result;
    }
}
