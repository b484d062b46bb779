package dev.chatforge.finetune;

/**
 * Fixed-length training windows of {@code length} tokens (block_size + 1), stored flat: window
 * w is {@code ids[w*length .. (w+1)*length)}. {@code weights} marks, per token, whether it is a
 * trained target (1) or context / padding (0); the loss of window w is computed on targets
 * {@code ids[1..]} with weights {@code weights[1..]}.
 *
 * @param conversations conversations read
 * @param pieces        pieces packed (a conversation longer than a window becomes several)
 * @param trainedTokens tokens with weight 1, the loss's normaliser over one pass
 * @param paddingTokens tokens that only fill windows (weight 0)
 * @param trainableTokens tokens the data marks for training (the tokenize manifest's trained
 *                      tokens under train_on: agent); more than trainedTokens when some could
 *                      not be trained (the first token of a window is never a target)
 */
public record PackedWindows(int length, int[] ids, byte[] weights, long conversations, long pieces,
                            long trainedTokens, long paddingTokens, long trainableTokens) {

    /** Tokens marked for training that no window trains. */
    public long untrainedTokens() {
        return trainableTokens - trainedTokens;
    }

    public int count() {
        return ids.length / length;
    }

    /** The ids of window {@code w}. */
    public int[] window(int w) {
        return java.util.Arrays.copyOfRange(ids, w * length, (w + 1) * length);
    }

    /** The weights of window {@code w}. */
    public byte[] windowWeights(int w) {
        return java.util.Arrays.copyOfRange(weights, w * length, (w + 1) * length);
    }
}
