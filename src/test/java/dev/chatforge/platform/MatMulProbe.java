package dev.chatforge.platform;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** A child process for {@link MklIntelPathShimTest}: one PyTorch matrix product, which goes through MKL. */
public final class MatMulProbe {
    private MatMulProbe() {}

    public static void main(String[] args) {
        try (NDManager m = NDManager.newBaseManager()) {
            float sum = m.ones(new Shape(64, 64)).matMul(m.ones(new Shape(64, 64))).sum().getFloat();
            System.out.println(sum); // 64·64·64
            System.out.println("shim loaded: " + MklIntelPathShim.loaded());
        }
    }
}
