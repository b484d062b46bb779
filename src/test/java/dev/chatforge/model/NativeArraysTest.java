package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class NativeArraysTest {

    @Test
    void copiesValuesExactlyAndLaterCallsDoNotChangeEarlierTensors() {
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] ids = {0, 1, -7, Integer.MAX_VALUE, 2047, 42};
            float[] weights = {1f, 0f, 0.5f, Float.MIN_VALUE, -3.25f, 1e30f};
            NDArray first = NativeArrays.of(manager, ids, new Shape(2, 3));
            NDArray second = NativeArrays.of(manager, weights, new Shape(2, 3));
            NDArray third = NativeArrays.of(manager, new int[] {9, 9, 9, 9, 9, 9, 9, 9}, new Shape(8)); // reuses the staging buffer
            assertEquals(DataType.INT32, first.getDataType());
            assertEquals(new Shape(2, 3), first.getShape());
            assertArrayEquals(ids, first.toIntArray());
            assertArrayEquals(weights, second.toFloatArray());
            assertArrayEquals(new int[] {9, 9, 9, 9, 9, 9, 9, 9}, third.toIntArray());
            assertSame(manager, first.getManager());
        }
    }

    @Test
    void growsTheStagingBufferForLargeArrays() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] big = new float[100_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = i * 0.25f;
            }
            NativeArrays.of(manager, new float[] {1, 2}, new Shape(2));
            assertArrayEquals(big, NativeArrays.of(manager, big, new Shape(big.length)).toFloatArray());
        }
    }
}
