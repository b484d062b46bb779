package dev.chatforge.tokenizer;

/**
 * A read-only sequence of token ids, with an optional per-token loss mask, as the train,
 * eval and finetune stages consume it. The tokenize stage's memory-mapped token files
 * implement it; tests use in-memory arrays.
 */
public interface TokenSource {
    /** Number of tokens. */
    long size();

    /** Vocabulary size of the tokenizer that produced the ids; every id is below it. */
    int vocabSize();

    /** Copies {@code dst.length} ids starting at {@code start} into {@code dst}. */
    void read(long start, int[] dst);

    /** Whether a loss mask is stored (conversational data: 1 = agent token, trained on). */
    boolean hasLossMask();

    /**
     * Copies {@code dst.length} mask values starting at {@code start}: 1 where the token is
     * trained on, 0 where it is context only. All ones when {@link #hasLossMask()} is false.
     */
    void readMask(long start, byte[] dst);
}
