package dev.chatforge.train;

import dev.chatforge.tokenizer.TokenSource;

/**
 * The same {@code count} windows of {@code blockSize + 1} tokens every time, spread evenly over
 * a token source: validation during training compares like with like from step to step.
 */
public final class FixedWindows {
    private FixedWindows() {}

    /** The windows, {@code batchSize} per batch (the last batch may be smaller). */
    public static java.util.List<TokenBatch> of(TokenSource source, int blockSize, int count, int batchSize) {
        long starts = source.size() - blockSize; // valid starts: 0 .. size - (blockSize + 1)
        if (starts <= 0) {
            throw new IllegalArgumentException("has " + source.size() + " tokens, fewer than one window of "
                    + (blockSize + 1) + " (block_size + 1)");
        }
        int n = (int) Math.min(count, starts);
        java.util.List<TokenBatch> batches = new java.util.ArrayList<>();
        int width = blockSize + 1;
        int[] window = new int[width];
        byte[] windowMask = new byte[width];
        for (int first = 0; first < n; first += batchSize) {
            int rows = Math.min(batchSize, n - first);
            int[] tokens = new int[rows * width];
            byte[] mask = source.hasLossMask() ? new byte[rows * width] : null;
            for (int r = 0; r < rows; r++) {
                long start = n == 1 ? 0 : (starts - 1) * (first + r) / (n - 1);
                source.read(start, window);
                System.arraycopy(window, 0, tokens, r * width, width);
                if (mask != null) {
                    source.readMask(start, windowMask);
                    System.arraycopy(windowMask, 0, mask, r * width, width);
                }
            }
            batches.add(new TokenBatch(rows, blockSize, tokens, mask));
        }
        return batches;
    }
}
