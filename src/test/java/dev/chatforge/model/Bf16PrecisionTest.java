package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * bf16 mixed precision computes the same model as fp32, to bf16's resolution: logits and every
 * parameter's gradient close to fp32's, parameters and gradients still fp32. It runs on any CPU
 * (PyTorch emulates bf16 where the processor lacks it; only slower).
 *
 * <p>The tolerance: bf16 keeps 8 significant bits, so rounding an operand changes it by up to
 * 2⁻⁹ ≈ 0.2%; a product of two rounded operands summed in fp32 is off by about that in relative
 * L2 terms (errors of many terms partly cancel), and a gradient passes through a few such products
 * per layer. Measured here: 0.2-0.65% for every parameter. 2% leaves room for another libtorch or
 * processor, while a real mistake (a missing term, a transposed product, a gradient cut at a cast)
 * is off by order 100%.
 */
class Bf16PrecisionTest {
    private static final GPT2Config CONFIG = new GPT2Config(53, 16, 64, 2, 4, "gelu_new", 0, 0, 0, 1e-5, 0.02);
    private static final int ROWS = 3;
    private static final int LENGTH = 16;
    private static final double TOLERANCE = 0.02;

    @Test
    void gradientsOfBf16ProductsAreCloseToFp32Ones() {
        for (GPT2Config config : new GPT2Config[] {CONFIG, CONFIG.withDropout(0.1).withActivation("gelu")}) {
            // 53 × 5 floats per chunk: the bf16 logit gradients cross chunk borders into their buffer.
            for (long chunkFloats : new long[] {53 * 5, TiedHeadLoss.CHUNK_FLOATS}) {
                Step fp32 = step(config, Precision.FP32, chunkFloats);
                Step bf16 = step(config, Precision.BF16, chunkFloats);
                String what = config.activationFunction() + ", dropout " + config.residPdrop() + ", chunk " + chunkFloats;
                assertEquals(fp32.lossSum, bf16.lossSum, 0.01 * fp32.lossSum, "loss, " + what);
                for (String name : fp32.gradients.keySet()) {
                    double error = relativeError(fp32.gradients.get(name), bf16.gradients.get(name));
                    assertTrue(error < TOLERANCE, name + ": relative L2 error " + error + ", " + what);
                }
            }
        }
    }

    @Test
    void bf16LogitsAreCloseToFp32AndKeptBf16WeightsGiveTheSameLogits() {
        try (GPT2 model = GPT2.create(CONFIG, Device.cpu(), 4); NDManager m = model.manager().newSubManager()) {
            NDArray tokens = m.create(new Random(3).ints(ROWS * LENGTH, 0, 53).toArray(), new Shape(ROWS, LENGTH));
            float[] fp32 = model.forward(tokens, false).toFloatArray();
            float[] bf16 = model.usePrecision(Precision.BF16).forward(tokens, false).toFloatArray();
            assertTrue(relativeError(fp32, bf16) < TOLERANCE, "logits: relative L2 error " + relativeError(fp32, bf16));
            assertTrue(relativeError(fp32, bf16) > 1e-4, "bf16 rounds: the logits differ from fp32's");
            model.keepBf16Weights();
            assertArrayEquals(bf16, model.forward(tokens, false).toFloatArray(), 0f, "the kept copy is the same cast");
            // The key/value cache path (tensor ops, generation on a GPU) gives the full forward's logits.
            try (GPT2.KVCache cache = model.newCache()) {
                NDArray first = tokens.get("0:1, 0:10");
                NDArray rest = tokens.get("0:1, 10:");
                float[] full = model.forward(tokens.get("0:1"), false).get("0, -1").toFloatArray();
                model.forward(first, cache);
                float[] cached = model.forward(rest, cache).get("0, -1").toFloatArray();
                assertTrue(relativeError(full, cached) < TOLERANCE, "cached: " + relativeError(full, cached));
            }
            model.usePrecision(Precision.FP32);
            assertArrayEquals(fp32, model.forward(tokens, false).toFloatArray(), 0f, "back to fp32: the weights never changed");
            for (NDArray p : model.parameters().values()) {
                assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, p.getDataType());
            }
        }
    }

    @Test
    void bf16GenerationDecodesWithTensorOpsOverBf16WeightsCloseToTheFp32Decoder() {
        GPT2Config wide = GPT2Config.of(64, 32, 512, 1, 8); // wide enough for the bf16 path
        int[] prompt = {1, 2, 3, 4, 5};
        try (GPT2 model = GPT2.create(wide, Device.cpu(), 3)) {
            dev.chatforge.chat.GPT2NextTokenModel fp32 = new dev.chatforge.chat.GPT2NextTokenModel(model);
            assertTrue(fp32.usesJavaDecoder());
            float[][] expected = new float[2][];
            try (var session = fp32.newSession()) {
                expected[0] = session.append(prompt);
                expected[1] = session.append(new int[] {6});
            }
            dev.chatforge.chat.GPT2NextTokenModel bf16 = new dev.chatforge.chat.GPT2NextTokenModel(
                    model.usePrecision(Precision.BF16));
            assertTrue(!bf16.usesJavaDecoder(), "bf16 decodes with tensor ops");
            try (var session = bf16.newSession()) {
                double first = relativeError(expected[0], session.append(prompt));
                double next = relativeError(expected[1], session.append(new int[] {6}));
                assertTrue(first < TOLERANCE && next < TOLERANCE && first > 0, "prompt " + first + ", next token " + next);
            }
        }
    }

    private record Step(double lossSum, Map<String, float[]> gradients) {}

    /** One micro-batch forward and backward through the model and the tied head, as the trainer runs it. */
    private static Step step(GPT2Config config, Precision precision, long chunkFloats) {
        Random random = new Random(11);
        int n = ROWS * LENGTH;
        int[] inputs = random.ints(n, 0, 53).toArray();
        int[] targets = random.ints(n, 0, 53).toArray();
        float[] weights = new float[n];
        for (int i = 0; i < n; i++) {
            weights[i] = i % 5 == 0 ? 0f : 1f;
        }
        try (GPT2 model = GPT2.create(config, Device.cpu(), 2).usePrecision(precision);
             NDManager step = model.manager().newSubManager();
             TiedHeadLoss headLoss = new TiedHeadLoss(model, chunkFloats)) {
            Engine.getInstance().setRandomSeed(5); // the same dropout masks in both precisions
            double lossSum;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                TiedHeadLoss.Pass head = headLoss.forwardBackward(model.hidden(step.create(inputs, new Shape(ROWS, LENGTH)), true),
                        targets, weights, 1.0 / n);
                collector.backward(head.surrogate());
                head.addTokenEmbeddingGradient();
                lossSum = head.lossSum();
            }
            Map<String, float[]> gradients = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                NDArray g = p.getValue().getGradient();
                g.attach(step);
                assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, g.getDataType(), p.getKey());
                gradients.put(p.getKey(), g.toFloatArray());
            }
            return new Step(lossSum, gradients);
        }
    }

    /** ‖b − a‖ / ‖a‖. */
    static double relativeError(float[] a, float[] b) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            difference += (double) (b[i] - a[i]) * (b[i] - a[i]);
            norm += (double) a[i] * a[i];
        }
        return Math.sqrt(difference / Math.max(norm, 1e-30));
    }
}
