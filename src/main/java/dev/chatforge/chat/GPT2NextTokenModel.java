package dev.chatforge.chat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.model.GPT2;

/**
 * Generation's view of a {@link GPT2}: next-token logits, recomputed or through the model's
 * key/value cache. Each call works in its own sub-manager, closed before returning, so native
 * memory stays flat however many tokens are generated; only the cache's own manager grows with
 * the context and is freed when the session closes.
 */
public final class GPT2NextTokenModel implements NextTokenModel {
    private final GPT2 model;

    public GPT2NextTokenModel(GPT2 model) {
        this.model = model;
    }

    @Override
    public int contextLength() {
        return model.config().nPositions();
    }

    @Override
    public float[] nextTokenLogits(int[] tokens) {
        try (NDManager step = model.manager().newSubManager()) {
            return lastRow(model.forward(input(step, tokens), false), tokens.length);
        }
    }

    @Override
    public CachedSession newSession() {
        GPT2.KVCache cache = model.newCache();
        return new CachedSession() {
            @Override
            public float[] append(int[] tokens) {
                try (NDManager step = model.manager().newSubManager()) {
                    return lastRow(model.forward(input(step, tokens), cache), tokens.length);
                }
            }

            @Override
            public int length() {
                return cache.length();
            }

            @Override
            public void close() {
                cache.close();
            }
        };
    }

    private static NDArray input(NDManager manager, int[] tokens) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokens[i];
        }
        return manager.create(ids, new Shape(1, ids.length));
    }

    /** Logits (1, T, V) → the last position's row, copied to the heap. */
    private static float[] lastRow(NDArray logits, int t) {
        return logits.get(new NDIndex(0, t - 1)).toFloatArray();
    }
}
