package dev.chatforge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * A dropout keep-mask for the CPU, drawn in Java straight into the mask tensor's native memory.
 *
 * <p>Why: PyTorch's CPU random kernels run on one thread and draw at least 32 random bits per
 * element; {@code bernoulli_} took ~6 ns an element here, and fine-tuning GPT-2 124M with its
 * dropout of 0.1 spent over 10% of every step drawing masks. Here one 64-bit SplitMix64 draw
 * decides four elements (16 bits each), ~0.5 ns an element.
 *
 * <p>p is rounded to a multiple of 1/65,536 (0.1 becomes 0.100006; at most 65,535/65,536, so at
 * least one draw in 65,536 keeps) and {@link #scale} is the exact inverse of the kept share, so the
 * expected output still equals the input. Each mask's seed
 * comes from PyTorch's generator, which the trainer seeds per step: a resumed run draws the same
 * masks.
 *
 * @param keep  bool tensor, true where the element is kept
 * @param scale the factor for kept elements, 1 / P(keep)
 */
record DropoutMask(NDArray keep, double scale) {
    private static final int LEVELS = 1 << 16;

    /** A mask of {@code shape} in {@code manager} (CPU) that drops each element with probability ~{@code p}. */
    static DropoutMask draw(NDManager manager, Shape shape, double p) {
        if (!manager.getDevice().equals(Device.cpu())) {
            // Elsewhere the buffer below would be a host copy: the mask would stay uninitialised.
            throw new IllegalArgumentException("Java-drawn dropout masks are for the CPU, not " + manager.getDevice());
        }
        int dropBelow = (int) Math.min(LEVELS - 1, Math.round(p * LEVELS)); // a 16-bit draw below this drops the element
        NDArray seed = manager.randomInteger(0, Integer.MAX_VALUE, new Shape(2), DataType.INT64);
        long[] seeds = seed.toLongArray();
        seed.close();
        SplittableRandom random = new SplittableRandom(seeds[0] << 31 ^ seeds[1]);
        NDArray keep = manager.create(shape, DataType.BOOLEAN);
        ByteBuffer bytes = keep.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
        long n = shape.size();
        long i = 0;
        for (; i + 4 <= n; i += 4) {
            long r = random.nextLong();
            bytes.putInt(kept(r, dropBelow) | kept(r >>> 16, dropBelow) << 8
                    | kept(r >>> 32, dropBelow) << 16 | kept(r >>> 48, dropBelow) << 24);
        }
        long r = random.nextLong();
        for (; i < n; i++, r >>>= 16) {
            bytes.put((byte) kept(r, dropBelow));
        }
        return new DropoutMask(keep, (double) LEVELS / (LEVELS - dropBelow));
    }

    /** 1 when the low 16 bits of {@code bits} are at least {@code dropBelow}, else 0. */
    private static int kept(long bits, int dropBelow) {
        return (int) (bits & 0xFFFF) >= dropBelow ? 1 : 0;
    }
}
