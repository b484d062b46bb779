package dev.chatforge.train;

/**
 * Where training batches come from. Deterministic given its construction and position, so a
 * resumed run sees exactly the batches the interrupted run would have seen: the trainer saves
 * {@link #position()} in every checkpoint and {@link #seek(long)}s back to it on resume.
 * Pre-training uses {@link RandomWindows}; fine-tuning may supply its own (e.g. one
 * conversation per row, padding masked out).
 */
public interface DataSampler {
    /** The next {@code rows} windows of {@link #blockSize()} + 1 tokens. */
    TokenBatch next(int rows);

    /** Tokens per window the model sees (targets are the window shifted by one). */
    int blockSize();

    /** How far the sampler has advanced (windows drawn so far). */
    long position();

    /** Continues from a position returned by {@link #position()}. */
    void seek(long position);
}
