package dev.chatforge.export;

import java.nio.ByteBuffer;

/**
 * ggml's Q8_0 quantisation, bit for bit as gguf-py's {@code quants.Q8_0.quantize_blocks} and ggml's
 * {@code quantize_row_q8_0_ref}: per block of 32 values, {@code d = max|x| / 127} (float32),
 * {@code q = roundf(x * (1/d))} (half away from zero) as int8, stored as d in fp16 then the 32 q.
 */
public final class Q8_0 {
    public static final int BLOCK = 32;

    private Q8_0() {}

    /** Quantises {@code values} (a multiple of 32 long) into {@code out} (34 bytes a block). */
    public static void quantize(float[] values, ByteBuffer out) {
        quantize(values, values.length, out);
    }

    /** Quantises the first {@code count} (a multiple of 32) of {@code values} into {@code out}. */
    public static void quantize(float[] values, int count, ByteBuffer out) {
        if (count % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of " + BLOCK + " values, got " + count);
        }
        for (int b = 0; b < count; b += BLOCK) {
            float amax = 0;
            for (int i = b; i < b + BLOCK; i++) {
                amax = Math.max(amax, Math.abs(values[i]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            out.putShort(Half.fromFloat(d));
            for (int i = b; i < b + BLOCK; i++) {
                out.put((byte) roundf(values[i] * id));
            }
        }
    }

    /** C's roundf in float arithmetic (gguf-py's np_roundf): halves go away from zero. */
    static float roundf(float x) {
        float a = Math.abs(x);
        float floored = (float) Math.floor(a);
        float b = floored + (float) Math.floor(2 * (a - floored));
        return Math.copySign(b, x);
    }
}
