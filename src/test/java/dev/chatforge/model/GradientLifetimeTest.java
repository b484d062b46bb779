package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Gradients must not depend on what the JVM does between forward and backward. DJL turns a Java
 * number operand ({@code x.mul(0.5)}) into a tensor over a Java direct buffer that it frees once
 * the Java side lets go; if autograd saved that tensor, backward then reads freed memory. This
 * test runs a garbage collection and reuses freed native memory (filled with NaN) between forward
 * and backward, which made such gradients wrong in 20 of 20 trials.
 */
class GradientLifetimeTest {

    @Test
    void gradientsAreUnchangedByAGarbageCollectionBetweenForwardAndBackward() throws Exception {
        for (String activation : new String[] {"gelu", "gelu_new"}) {
            GPT2Config config = new GPT2Config(37, 16, 32, 2, 4, activation, 0, 0, 0, 1e-5, 0.02);
            try (GPT2 model = GPT2.create(config, Device.cpu(), 3)) {
                Map<String, float[]> quiet = gradients(model, false);
                Map<String, float[]> churned = gradients(model, true);
                for (String name : quiet.keySet()) {
                    assertArrayEquals(quiet.get(name), churned.get(name), activation + ": " + name);
                }
            }
        }
    }

    /** One forward/backward of the training loss, as Trainer runs it; the parameters' gradients. */
    private static Map<String, float[]> gradients(GPT2 model, boolean churnBeforeBackward) throws Exception {
        Random random = new Random(5);
        int[] inputs = random.ints(2 * 16, 0, 37).toArray();
        int[] targets = random.ints(2 * 16, 0, 37).toArray();
        float[] weights = new float[inputs.length];
        java.util.Arrays.fill(weights, 1f);
        Map<String, float[]> result = new LinkedHashMap<>();
        try (NDManager step = model.manager().newSubManager()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                Shape shape = new Shape(2, 16);
                try (TiedHeadLoss headLoss = new TiedHeadLoss(model)) {
                    TiedHeadLoss.Pass head = headLoss.forwardBackward(model.hidden(step.create(inputs, shape), true),
                            targets, weights, 1.0 / inputs.length);
                    if (churnBeforeBackward) {
                        churnFreedNativeMemory();
                    }
                    collector.backward(head.surrogate());
                    head.addTokenEmbeddingGradient();
                }
            }
            for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                NDArray g = p.getValue().getGradient();
                g.attach(step);
                result.put(p.getKey(), g.toFloatArray());
                g.subi(g);
            }
        }
        return result;
    }

    /** Lets the JVM free unreachable direct buffers, then takes their memory back, filled with NaN. */
    private static void churnFreedNativeMemory() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        List<ByteBuffer> churn = new ArrayList<>();
        for (int k = 0; k < 20_000; k++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            churn.add(b);
        }
    }
}
