package dev.chatforge.train;

import dev.chatforge.tokenizer.TokenSource;

/**
 * Uniformly random windows of {@code blockSize + 1} tokens from a token source, read straight
 * from it (the source is memory-mapped; the corpus is never copied into the heap). The start of
 * window i is a hash of (seed, i), a counter-based RNG: the whole sampler state is one number,
 * the count of windows drawn, so resuming is a {@link #seek(long)}.
 */
public final class RandomWindows implements DataSampler {
    private final TokenSource source;
    private final int blockSize;
    private final long seed;
    private final long starts;
    private long position;

    public RandomWindows(TokenSource source, int blockSize, long seed) {
        if (source.size() < blockSize + 1L) {
            throw new IllegalArgumentException("the token source has " + source.size() + " tokens, fewer than one window of "
                    + (blockSize + 1) + " (block_size + 1)");
        }
        this.source = source;
        this.blockSize = blockSize;
        this.seed = seed;
        this.starts = source.size() - blockSize; // valid starts: 0 .. size - (blockSize + 1)
    }

    @Override
    public TokenBatch next(int rows) {
        int width = blockSize + 1;
        int[] tokens = new int[rows * width];
        byte[] mask = source.hasLossMask() ? new byte[rows * width] : null;
        int[] window = new int[width];
        byte[] windowMask = mask == null ? null : new byte[width];
        for (int r = 0; r < rows; r++) {
            long start = Math.floorMod(mix(seed, position++), starts);
            source.read(start, window);
            System.arraycopy(window, 0, tokens, r * width, width);
            if (mask != null) {
                source.readMask(start, windowMask);
                System.arraycopy(windowMask, 0, mask, r * width, width);
            }
        }
        return new TokenBatch(rows, blockSize, tokens, mask);
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public void seek(long position) {
        this.position = position;
    }

    /** SplitMix64 of (seed, counter): well-mixed 64 bits from a counter. */
    static long mix(long seed, long counter) {
        long z = seed * 0x9E3779B97F4A7C15L + counter * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
