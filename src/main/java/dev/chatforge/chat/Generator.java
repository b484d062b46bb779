package dev.chatforge.chat;

import java.util.Arrays;
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

    public Generator(NextTokenModel model, boolean useCache) {
        this.model = model;
        this.useCache = useCache;
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
     *                     distribution (softmax of the logits, before any temperature or top-k/p)
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
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must have at least one token");
        }
        if (decoder == null && (onText != null || !stop.stopStrings().isEmpty())) {
            throw new IllegalArgumentException("stop strings and streaming need a decoder");
        }
        ContextWindow window = new ContextWindow(model.blockSize(), prompt);
        int promptTokens = window.size();
        int[] generated = new int[Math.max(0, maxNewTokens)];
        double[] logProbs = new double[generated.length];
        int count = 0;
        int shown = 0;
        String text = decoder == null ? null : "";
        StopReason reason = StopReason.MAX_TOKENS;
        long start = System.nanoTime();
        long prefillNanos = 0;
        NextTokenModel.CachedSession session = useCache ? model.newSession() : null;
        try {
            float[] logits = useCache ? session.append(window.tokens()) : model.nextTokenLogits(window.tokens());
            prefillNanos = System.nanoTime() - start;
            while (count < maxNewTokens) {
                int next = sampler.sample(logits);
                if (stop.isStopToken(next)) {
                    reason = StopReason.STOP_TOKEN;
                    break;
                }
                logProbs[count] = logSoftmax(logits, next);
                generated[count++] = next;
                if (decoder != null) {
                    text = decoder.apply(Arrays.copyOf(generated, count));
                    int cut = stop.stopStringIndex(text);
                    if (cut >= 0) {
                        text = text.substring(0, cut);
                        reason = StopReason.STOP_STRING;
                        break;
                    }
                    if (onText != null) {
                        int safe = withoutPartialCharacter(text, stop.safePrefixLength(text));
                        if (safe > shown) {
                            onText.accept(text.substring(shown, safe));
                            shown = safe;
                        }
                    }
                }
                if (count == maxNewTokens) {
                    break; // no logits needed after the last token
                }
                boolean shifted = window.append(next);
                if (!useCache) {
                    logits = model.nextTokenLogits(window.tokens());
                } else if (shifted) {
                    session.close();
                    session = model.newSession();
                    logits = session.append(window.tokens());
                } else {
                    logits = session.append(new int[] {next});
                }
            }
        } finally {
            if (session != null) {
                session.close();
            }
        }
        if (onText != null && text.length() > shown) {
            onText.accept(text.substring(shown));
        }
        long decodeNanos = System.nanoTime() - start - prefillNanos;
        return new Result(Arrays.copyOf(generated, count), text, reason, promptTokens, prefillNanos, decodeNanos,
                Arrays.copyOf(logProbs, count));
    }

    /** log softmax(logits)[token], in double (one pass over the vocabulary: cheap beside a decode step). */
    static double logSoftmax(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[token] - max - Math.log(sum);
    }

    /**
     * Holds back a trailing U+FFFD: byte-level BPE decodes the first bytes of a multi-byte
     * character as a replacement character until its last byte arrives.
     */
    private static int withoutPartialCharacter(String text, int end) {
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        return end;
    }
}
