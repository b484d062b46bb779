package dev.chatforge.eval;

import dev.chatforge.tokenizer.TokenSource;
import java.util.Arrays;

/** Ids held in memory as a {@link TokenSource} without a loss mask: text a benchmark tokenized itself. */
public record TokenArray(int[] ids, int vocabSize) implements TokenSource {
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
        return false;
    }

    @Override
    public void readMask(long start, byte[] dst) {
        Arrays.fill(dst, (byte) 1);
    }
}
