package dev.chatforge.train;

import dev.chatforge.tokenizer.TokenSource;

/** An in-memory token source for tests. */
public record ArrayTokenSource(int[] tokens, byte[] mask, int vocabSize) implements TokenSource {
    public static ArrayTokenSource random(int n, int vocab, long seed) {
        java.util.Random r = new java.util.Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return new ArrayTokenSource(t, null, vocab);
    }

    /** {@code pattern} repeated to {@code n} tokens: a text a small model can learn by heart. */
    public static ArrayTokenSource repeating(int[] pattern, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = pattern[i % pattern.length];
        }
        return new ArrayTokenSource(t, null, vocab);
    }

    @Override
    public long size() {
        return tokens.length;
    }

    @Override
    public void read(long start, int[] dst) {
        System.arraycopy(tokens, (int) start, dst, 0, dst.length);
    }

    @Override
    public boolean hasLossMask() {
        return mask != null;
    }

    @Override
    public void readMask(long start, byte[] dst) {
        if (mask == null) {
            java.util.Arrays.fill(dst, (byte) 1);
        } else {
            System.arraycopy(mask, (int) start, dst, 0, dst.length);
        }
    }
}
