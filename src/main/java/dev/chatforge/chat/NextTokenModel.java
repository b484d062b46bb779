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

    /**
     * One step for many sessions: feeds {@code tokens[i]} to {@code sessions.get(i)} and returns
     * each one's next-token logits. A model that can batch the step overrides this (one
     * matrix-matrix product instead of one matrix-vector product per session); by default the
     * sessions step one after another.
     */
    default float[][] appendEach(java.util.List<CachedSession> sessions, int[] tokens) {
        float[][] logits = new float[sessions.size()][];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = sessions.get(i).append(new int[] {tokens[i]});
        }
        return logits;
    }

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
