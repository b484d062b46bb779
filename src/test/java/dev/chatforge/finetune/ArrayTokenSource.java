package dev.chatforge.finetune;

import dev.chatforge.tokenizer.TokenSource;

/** An in-memory token file for tests. */
record ArrayTokenSource(int[] ids, byte[] mask, int vocabSize) implements TokenSource {
    @Override
    public long size() {
        return ids.length;
    }

    @Override
    public void read(long start, int[] dst) {
        System.arraycopy(ids, (int) start, dst, 0, dst.length);
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
