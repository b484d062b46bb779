package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Each fused op (a TorchScript function) must give the values and the gradients of the chain of
 * DJL ops it replaces: autograd records it inside a gradient collector like any DJL op, and the
 * result belongs to its first operand's manager.
 */
class FusedOpsTest {
    private static final int B = 2;
    private static final int T = 5;
    private static final int HEADS = 3;
    private static final int HEAD_SIZE = 4;
    private static final int C = HEADS * HEAD_SIZE;

    @Test
    void conv1dIsAProductPlusBiasWithTheSameGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(B, T, C));
            NDArray w = m.randomNormal(new Shape(C, 3 * C));
            NDArray b = m.randomNormal(new Shape(3 * C));
            assertSameValuesAndGradients(in -> FusedOps.conv1d(in[0], in[1], in[2]),
                    in -> in[0].matMul(in[1]).add(in[2]), x, w, b);
        }
    }

    @Test
    void tanhGeluIsGpt2sFormulaWithTheSameGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(0, 3, new Shape(B, T, C), DataType.FLOAT32);
            double a = Math.sqrt(2 / Math.PI);
            assertSameValuesAndGradients(in -> FusedOps.geluTanh(in[0]), in -> {
                NDArray z = in[0].add(in[0].pow(3).mul(0.044715)).mul(a);
                return in[0].mul(0.5).mul(z.tanh().add(1));
            }, x);
        }
    }

    @Test
    void causalAttentionIsTheTextbookFormulaWithTheSameGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray qkv = m.randomNormal(new Shape(B, T, 3 * C));
            assertSameValuesAndGradients(in -> FusedOps.causalSelfAttention(in[0], HEADS, 0),
                    in -> textbookAttention(in[0], null), qkv);
        }
    }

    @Test
    void attentionDropoutUsesTheMaskAndItsScale() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray qkv = m.randomNormal(new Shape(B, T, 3 * C));
            DropoutMask mask = DropoutMask.draw(m, new Shape(B, HEADS, T, T), 0.3);
            assertTrue(mask.keep().logicalNot().any().getBoolean(), "some probabilities are dropped");
            assertSameValuesAndGradients(in -> FusedOps.causalSelfAttention(in[0], HEADS, mask),
                    in -> textbookAttention(in[0], mask), qkv);
        }
    }

    @Test
    void dropoutByAMaskKeepsAndScalesExactlyTheMaskedElements() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(B, T, C));
            DropoutMask mask = DropoutMask.draw(m, x.getShape(), 0.5);
            assertSameValuesAndGradients(in -> FusedOps.dropout(in[0], mask),
                    in -> in[0].mul(mask.keep().toType(DataType.FLOAT32, false)).mul(mask.scale()), x);
        }
    }

    @Test
    void aMaskKeepsOneMinusPAndIsReproducibleFromPyTorchsSeed() {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(1001, 999); // not a multiple of 4: the tail is drawn too
            Engine.getInstance().setRandomSeed(7);
            DropoutMask first = DropoutMask.draw(m, shape, 0.1);
            DropoutMask second = DropoutMask.draw(m, shape, 0.1);
            Engine.getInstance().setRandomSeed(7);
            DropoutMask again = DropoutMask.draw(m, shape, 0.1);
            assertEquals(DataType.BOOLEAN, first.keep().getDataType());
            assertEquals(shape, first.keep().getShape());
            double kept = first.keep().toType(DataType.FLOAT32, false).mean().getFloat();
            assertEquals(0.9, kept, 0.002, "share kept"); // ~7 standard deviations of 1M draws
            assertEquals(65536.0 / (65536 - 6554), first.scale(), 1e-12, "1 / P(keep), p rounded to 1/65,536");
            assertTrue(first.keep().contentEquals(again.keep()), "same seed, same mask");
            assertFalse(first.keep().contentEquals(second.keep()), "the next mask is another draw");
            // The last elements (the tail after the last whole group of four) are drawn, not left as they were.
            NDArray tail = first.keep().reshape(-1).get("-500:").toType(DataType.FLOAT32, false);
            assertNotEquals(0f, tail.sum().getFloat());
            assertNotEquals(500f, tail.sum().getFloat());
        }
    }

    /** p at (or rounding to) 1 still keeps one draw in 65,536, with a finite scale. */
    @Test
    void aMaskForPNearOneStaysFinite() {
        try (NDManager m = NDManager.newBaseManager()) {
            DropoutMask mask = DropoutMask.draw(m, new Shape(8), 0.9999999);
            assertEquals(65536.0, mask.scale(), 0);
            assertTrue(Double.isFinite(FusedOps.dropout(m.ones(new Shape(8)), mask).sum().getFloat()));
        }
    }

    @Test
    void resultsBelongToTheFirstOperandsManager() {
        try (NDManager m = NDManager.newBaseManager(); NDManager weights = NDManager.newBaseManager()) {
            NDManager step = m.newSubManager();
            NDArray x = step.randomNormal(new Shape(B, T, C));
            NDArray y = FusedOps.conv1d(x, weights.randomNormal(new Shape(C, C)), weights.zeros(new Shape(C)));
            assertSame(step, y.getManager());
            step.close();
            assertTrue(weights.getManagedArrays().size() == 2, "nothing new in the weights' manager");
        }
    }

    @Test
    void sourceThatDoesNotCompileSaysSo() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TorchScriptFunction.of("x: Tensor", "Tensor", "return torch.no_such_op(x)\n"));
        assertTrue(e.getMessage().contains("torch.no_such_op"), e.getMessage());
    }

    /** softmax(q·kᵀ/√hs + causal mask) [· keep · scale] · v, heads split and merged as GPT-2 does. */
    private static NDArray textbookAttention(NDArray qkv, DropoutMask mask) {
        NDList parts = qkv.split(3, 2);
        NDArray q = heads(parts.get(0));
        NDArray k = heads(parts.get(1));
        NDArray v = heads(parts.get(2));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(Math.sqrt(HEAD_SIZE));
        NDManager m = qkv.getManager();
        NDArray future = m.arange(0, T, 1, DataType.INT32).reshape(1, T).gt(m.arange(0, T, 1, DataType.INT32).reshape(T, 1));
        NDArray blocked = NDArrays.where(future, m.full(new Shape(T, T), Float.NEGATIVE_INFINITY), m.zeros(new Shape(T, T)));
        NDArray att = scores.add(blocked).softmax(-1);
        if (mask != null) {
            att = att.mul(mask.keep().toType(DataType.FLOAT32, false)).mul(mask.scale());
        }
        return att.matMul(v).transpose(0, 2, 1, 3).reshape(B, T, C);
    }

    private static NDArray heads(NDArray x) {
        return x.reshape(B, T, HEADS, HEAD_SIZE).transpose(0, 2, 1, 3);
    }

    /**
     * {@code fused} and {@code reference} applied to fresh copies of {@code inputs} give the same
     * values, and the same gradients of Σ output · g (g random) for every input.
     */
    private static void assertSameValuesAndGradients(Function<NDArray[], NDArray> fused, Function<NDArray[], NDArray> reference,
                                                     NDArray... inputs) {
        NDManager m = inputs[0].getManager();
        NDArray[][] results = new NDArray[2][];
        NDArray g = null;
        int variant = 0;
        for (Function<NDArray[], NDArray> f : java.util.List.of(fused, reference)) {
            NDArray[] leaves = new NDArray[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                leaves[i] = inputs[i].duplicate();
                leaves[i].setRequiresGradient(true);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = f.apply(leaves);
                if (g == null) {
                    g = m.randomNormal(out.getShape());
                }
                collector.backward(out.mul(g).sum());
                results[variant] = new NDArray[inputs.length + 1];
                results[variant][0] = out.stopGradient();
                for (int i = 0; i < inputs.length; i++) {
                    results[variant][i + 1] = leaves[i].getGradient().duplicate();
                }
            }
            variant++;
        }
        for (int i = 0; i < results[0].length; i++) {
            String what = i == 0 ? "values" : "gradient of input " + (i - 1);
            assertArrayEquals(results[1][i].toFloatArray(), results[0][i].toFloatArray(), 2e-5f, what);
        }
    }
}
