package dev.chatforge.train;

/**
 * A batch of {@code rows} token windows of {@code length + 1} tokens each (row-major): position
 * t of a row predicts token t + 1. {@code mask} (same layout, 1 = trained on) is null when every
 * token is trained on. The weight of target t + 1 is its own mask value, so a conversation
 * learns only the agent's tokens while still reading the rest as context.
 */
public record TokenBatch(int rows, int length, int[] tokens, byte[] mask) {

    public TokenBatch {
        int expected = rows * (length + 1);
        if (tokens.length != expected || (mask != null && mask.length != expected)) {
            throw new IllegalArgumentException("expected " + rows + " windows of " + (length + 1) + " tokens");
        }
    }

    /** Model inputs: the first {@code length} tokens of every row. */
    public int[] inputs() {
        return slice(0);
    }

    /** Targets: the last {@code length} tokens of every row (the inputs shifted by one). */
    public int[] targets() {
        return slice(1);
    }

    /** Loss weight of each target: its mask value, or 1 everywhere without a mask. */
    public float[] weights() {
        float[] w = new float[rows * length];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < length; t++) {
                w[r * length + t] = mask == null ? 1f : mask[r * (length + 1) + t + 1];
            }
        }
        return w;
    }

    /** Number of targets that count in the loss. */
    public long trainedTokens() {
        if (mask == null) {
            return (long) rows * length;
        }
        long n = 0;
        for (float w : weights()) {
            n += w > 0 ? 1 : 0;
        }
        return n;
    }

    private int[] slice(int from) {
        int[] out = new int[rows * length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(tokens, r * (length + 1) + from, out, r * length, length);
        }
        return out;
    }
}
