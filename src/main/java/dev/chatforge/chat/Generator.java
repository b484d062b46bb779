package dev.chatforge.chat;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Autoregressive decoding: sample a token, append it, repeat until a stop token, a stop
 * string or {@code maxNewTokens}. With the key/value cache each step feeds only the new token;
 * without it each step recomputes the whole window (kept for checking and benchmarking). The
 * attention window follows {@link ContextWindow}, the same for both paths.
 */
public final class Generator {
    private final NextTokenModel model;
    private final boolean useCache;
    private boolean recordLogProbs;

    public Generator(NextTokenModel model, boolean useCache) {
        this.model = model;
        this.useCache = useCache;
    }

    /** Results carry each token's log-probability (one pass over the vocabulary per token: off by default). */
    public Generator recordingLogProbs() {
        this.recordLogProbs = true;
        return this;
    }

    /** Why generation ended. */
    public enum StopReason { STOP_TOKEN, STOP_STRING, MAX_TOKENS }

    /**
     * What was generated.
     *
     * @param tokens       generated ids, excluding a final stop token
     * @param text         decoded text, cut before a stop string (null when no decoder was given)
     * @param stopReason   why it ended
     * @param promptTokens tokens of the prompt the model saw (after trimming to the context)
     * @param prefillNanos time to process the prompt
     * @param decodeNanos  time for the generated tokens after the first
     * @param logProbs     natural log-probability of each generated token under the model's own
     *                     distribution (softmax of the logits, before any temperature or top-k/p);
     *                     empty unless {@link #recordingLogProbs}
     */
    public record Result(int[] tokens, String text, StopReason stopReason, int promptTokens,
                         long prefillNanos, long decodeNanos, double[] logProbs) {
        /** Generated tokens per second, prompt processing included. */
        public double tokensPerSecond() {
            long total = prefillNanos + decodeNanos;
            return total == 0 ? 0 : tokens.length / (total / 1e9);
        }
    }

    /**
     * @param prompt       prompt ids (at least one; the oldest are dropped beyond the context)
     * @param maxNewTokens the most tokens to generate
     * @param decoder      ids to text, for stop strings and streaming; may be null when neither is used
     * @param onText       receives text as it becomes final (never half a stop string); may be null
     */
    public Result generate(int[] prompt, int maxNewTokens, Sampler sampler, StopCondition stop,
                           Function<int[], String> decoder, Consumer<String> onText) {
        DecodingSequence sequence = new DecodingSequence(model.blockSize(), prompt, maxNewTokens, sampler, stop,
                decoder, onText);
        if (recordLogProbs) {
            sequence.recordLogProbs();
        }
        long start = System.nanoTime();
        long prefillNanos;
        NextTokenModel.CachedSession session = useCache ? model.newSession() : null;
        try {
            float[] logits = useCache ? session.append(sequence.window()) : model.nextTokenLogits(sequence.window());
            prefillNanos = System.nanoTime() - start;
            DecodingSequence.Feed feed;
            while ((feed = sequence.accept(logits)) != null) {
                if (!useCache) {
                    logits = model.nextTokenLogits(sequence.window());
                } else if (feed.restart()) {
                    session.close();
                    session = model.newSession();
                    logits = session.append(feed.tokens());
                } else {
                    logits = session.append(feed.tokens());
                }
            }
        } finally {
            if (session != null) {
                session.close();
            }
        }
        long decodeNanos = System.nanoTime() - start - prefillNanos;
        return new Result(sequence.tokens(), sequence.text(), sequence.stopReason(), sequence.promptTokens(),
                prefillNanos, decodeNanos, sequence.logProbs());
    }
}
