package dev.chatforge.chat;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One sequence being generated: its context window, sampler, stop condition, the tokens and text
 * so far and what has been streamed. It does no arithmetic: whoever runs the model hands it the
 * logits of its next token and feeds the model what it answers. {@link Generator} runs one such
 * sequence (generate, chat); the server's batch scheduler runs many side by side in one forward
 * pass, so both decode with exactly the same rules.
 */
public final class DecodingSequence {
    private final ContextWindow window;
    private final int maxNewTokens;
    private final Sampler sampler;
    private final StopCondition stop;
    private final Function<int[], String> decoder;
    private final Consumer<String> onText;
    private final int promptTokens;
    private final int[] generated;
    private double[] logProbs; // null unless recordLogProbs(): a pass over the vocabulary per token
    private int count;
    private int shown;
    private String text;
    private Generator.StopReason reason = Generator.StopReason.MAX_TOKENS;
    private boolean done;

    /** What to feed the model next: one new token, or (after the window shifted) the whole window into a fresh cache. */
    public record Feed(int[] tokens, boolean restart) {}

    /**
     * @param prompt       prompt ids (at least one; the oldest are dropped beyond the context)
     * @param maxNewTokens the most tokens to generate
     * @param decoder      ids to text, for stop strings and streaming; may be null when neither is used
     * @param onText       receives text as it becomes final (never half a stop string); may be null
     */
    public DecodingSequence(int blockSize, int[] prompt, int maxNewTokens, Sampler sampler, StopCondition stop,
                            Function<int[], String> decoder, Consumer<String> onText) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must have at least one token");
        }
        if (decoder == null && (onText != null || !stop.stopStrings().isEmpty())) {
            throw new IllegalArgumentException("stop strings and streaming need a decoder");
        }
        this.window = new ContextWindow(blockSize, prompt);
        this.promptTokens = window.size();
        this.maxNewTokens = Math.max(0, maxNewTokens);
        this.generated = new int[this.maxNewTokens];
        this.sampler = sampler;
        this.stop = stop;
        this.decoder = decoder;
        this.onText = onText;
        this.text = decoder == null ? null : "";
    }

    /** The tokens to prefill a fresh cache with: the prompt, trimmed to the context. */
    public int[] window() {
        return window.tokens();
    }

    /**
     * Takes the logits of the next token: samples it, checks the stop rules, streams the text that
     * became final. Returns what to feed the model next, or null when the sequence has ended.
     */
    public Feed accept(float[] logits) {
        if (done) {
            return null;
        }
        if (count >= maxNewTokens) {
            finish(Generator.StopReason.MAX_TOKENS);
            return null;
        }
        int next = sampler.sample(logits);
        if (stop.isStopToken(next)) {
            finish(Generator.StopReason.STOP_TOKEN);
            return null;
        }
        if (logProbs != null) {
            logProbs[count] = logSoftmax(logits, next);
        }
        generated[count++] = next;
        if (decoder != null) {
            text = decoder.apply(Arrays.copyOf(generated, count));
            int cut = stop.stopStringIndex(text);
            if (cut >= 0) {
                text = text.substring(0, cut);
                finish(Generator.StopReason.STOP_STRING);
                return null;
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
            finish(Generator.StopReason.MAX_TOKENS); // no logits needed after the last token
            return null;
        }
        boolean shifted = window.append(next);
        return shifted ? new Feed(window.tokens(), true) : new Feed(new int[] {next}, false);
    }

    /** Ends the sequence now (a client left, a deadline passed) without streaming what was held back. */
    public void abandon() {
        done = true;
    }

    private void finish(Generator.StopReason why) {
        reason = why;
        done = true;
        if (onText != null && text.length() > shown) {
            onText.accept(text.substring(shown));
            shown = text.length();
        }
    }

    public boolean isDone() {
        return done;
    }

    public Generator.StopReason stopReason() {
        return reason;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int[] tokens() {
        return Arrays.copyOf(generated, count);
    }

    /** Keeps each generated token's log-probability ({@link #logProbs}); call before the first token. */
    public DecodingSequence recordLogProbs() {
        logProbs = new double[maxNewTokens];
        return this;
    }

    /**
     * The natural log-probability of each generated token under the model's own distribution
     * (softmax of the logits, before any temperature or top-k/p); empty unless {@link #recordLogProbs}.
     */
    public double[] logProbs() {
        return logProbs == null ? new double[0] : Arrays.copyOf(logProbs, count);
    }

    public int generatedCount() {
        return count;
    }

    /** Decoded text, cut before a stop string (null when no decoder was given). */
    public String text() {
        return text;
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
