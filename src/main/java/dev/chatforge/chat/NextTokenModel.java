package dev.chatforge.chat;

/**
 * What generation needs from a language model: the logits of the next token after a sequence,
 * either recomputed from the whole sequence or from a session that caches each layer's keys and
 * values so a new token costs one position, not the whole prefix. The GPT-2 model implements
 * it; tests use small fakes.
 */
public interface NextTokenModel {
    /** The most tokens the model attends to at once ({@code n_positions}). */
    int blockSize();

    /** Logits of the token after {@code tokens}, computing every position afresh. */
    float[] nextTokenLogits(int[] tokens);

    /** A fresh, empty key/value cache. */
    CachedSession newSession();

    /** An incremental decoding session over a key/value cache; holds native memory until closed. */
    interface CachedSession extends AutoCloseable {
        /**
         * Feeds {@code tokens} at the positions after those already cached and returns the
         * logits of the token that follows them.
         */
        float[] append(int[] tokens);

        /** Tokens cached so far. */
        int length();

        @Override
        void close();
    }
}
