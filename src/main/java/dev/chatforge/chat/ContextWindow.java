package dev.chatforge.chat;

import java.util.Arrays;

/**
 * The tokens the model sees while generating: never more than {@code n_positions}. When the
 * window is full, the oldest half is dropped at once (as llama.cpp's context shift does by
 * default), so a cached session is rebuilt once every n/2 tokens rather than on every token;
 * GPT-2's learned absolute positions mean a shifted window cannot reuse its cache, and the
 * rebuild costs as many positions as it keeps (with a quarter dropped, rebuilding cost the
 * cached smoke model three extra positions per generated token, more than the token itself).
 * Cached and uncached generation share this policy, so both see exactly the same tokens.
 */
public final class ContextWindow {
    private final int capacity;
    private int[] tokens;
    private int size;

    /** Starts with the last {@code capacity} tokens of {@code prompt}. */
    public ContextWindow(int capacity, int[] prompt) {
        if (capacity < 2) {
            throw new IllegalArgumentException("context length must be >= 2, got " + capacity);
        }
        this.capacity = capacity;
        int[] kept = lastTokens(prompt, capacity);
        this.tokens = Arrays.copyOf(kept, capacity);
        this.size = kept.length;
    }

    /** The last {@code max} tokens of {@code tokens} (all of them when they fit). */
    public static int[] lastTokens(int[] tokens, int max) {
        return tokens.length <= max ? tokens : Arrays.copyOfRange(tokens, tokens.length - max, tokens.length);
    }

    /** How many oldest tokens a full window drops to make room. */
    public int shiftSize() {
        return Math.max(1, capacity / 2);
    }

    /**
     * Appends a token, first dropping the oldest {@link #shiftSize()} tokens when the window
     * is full. Returns true when it dropped some (a cache must then be rebuilt).
     */
    public boolean append(int token) {
        boolean shifted = false;
        if (size == capacity) {
            int drop = shiftSize();
            System.arraycopy(tokens, drop, tokens, 0, size - drop);
            size -= drop;
            shifted = true;
        }
        tokens[size++] = token;
        return shifted;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    public int[] tokens() {
        return Arrays.copyOf(tokens, size);
    }
}
