package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tensors from Java arrays, in memory PyTorch owns. Use these for anything created every step
 * (token ids, targets, loss weights) instead of {@code manager.create(int[], shape)}.
 *
 * <p>Why: DJL's {@code create(int[])} copies the array into a fresh Java direct buffer and makes
 * the tensor a view of it; the buffer's malloc'd memory goes back only when a garbage collection
 * runs its cleaner, long after the step that used it. Those late frees of a few small blocks in
 * the middle of glibc's heap, between the step's large activations, fragment the heap: resident
 * memory of {@code bench train} crept up 2-6.5% over 900 steps. Here the array goes through one
 * reusable staging buffer per thread into a native copy, which the step's manager frees with the
 * rest of the step, in order.
 */
public final class NativeArrays {
    private static final ThreadLocal<ByteBuffer[]> STAGING = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

    private NativeArrays() {}

    /** An int32 tensor of {@code shape} holding {@code values}, owned by {@code manager}. */
    public static NDArray of(NDManager manager, int[] values, Shape shape) {
        ByteBuffer staging = staging(values.length * Integer.BYTES);
        staging.asIntBuffer().put(values);
        return copy(manager, staging, shape, DataType.INT32);
    }

    /** A float32 tensor of {@code shape} holding {@code values}, owned by {@code manager}. */
    public static NDArray of(NDManager manager, float[] values, Shape shape) {
        ByteBuffer staging = staging(values.length * Float.BYTES);
        staging.asFloatBuffer().put(values);
        return copy(manager, staging, shape, DataType.FLOAT32);
    }

    /** A float64 tensor of {@code shape} holding {@code values}, owned by {@code manager}. */
    public static NDArray of(NDManager manager, double[] values, Shape shape) {
        ByteBuffer staging = staging(values.length * Double.BYTES);
        staging.asDoubleBuffer().put(values);
        return copy(manager, staging, shape, DataType.FLOAT64);
    }

    private static NDArray copy(NDManager manager, ByteBuffer staging, Shape shape, DataType type) {
        // create() of a direct buffer makes a view of it; the view is closed right after the copy,
        // so the staging buffer is free for the next call.
        try (NDArray view = manager.create(staging, shape, type)) {
            return view.duplicate();
        }
    }

    /** The thread's staging buffer, positioned at 0 with exactly {@code bytes} remaining. */
    private static ByteBuffer staging(int bytes) {
        ByteBuffer[] holder = STAGING.get();
        if (holder[0] == null || holder[0].capacity() < bytes) {
            holder[0] = ByteBuffer.allocateDirect(Math.max(bytes, 64 * 1024)).order(ByteOrder.nativeOrder());
        }
        holder[0].clear().limit(bytes);
        return holder[0].slice().order(ByteOrder.nativeOrder());
    }
}
