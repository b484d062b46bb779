package dev.chatforge.eval.benchmark;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The standard benchmarks {@code eval.benchmark} scores, each with the published GPT-2 figures a
 * result is read against. The figures are for the 124M model ("117M" in the GPT-2 paper, which
 * miscounted its parameters), zero-shot:
 * <ul>
 *   <li>Radford et al. 2019, "Language Models are Unsupervised Multitask Learners", Table 3:
 *       WikiText-2 perplexity 29.41, PTB 65.85, LAMBADA perplexity 35.13 and accuracy 45.99%.
 *       The paper's WikiText-2 and PTB figures are per word of the original tokenisation, after
 *       invertible de-tokenizers, so they compare with {@code word_perplexity}.</li>
 *   <li>llm.c, {@code dev/data/hellaswag.py}: 10,042 validation items, completion style,
 *       acc 0.2859, acc_norm 0.2955 (lm-evaluation-harness's multiple-choice style reports
 *       0.2892 / 0.3114: a different protocol).</li>
 * </ul>
 */
public enum Benchmark {
    WIKITEXT2("wikitext2", "test", List.of(
            new PublishedFigure("word_perplexity", 29.41, "GPT-2 paper, 124M (\"117M\"), zero-shot"))),
    PTB("ptb", "test", List.of(
            new PublishedFigure("word_perplexity", 65.85, "GPT-2 paper, 124M (\"117M\"), zero-shot"))),
    LAMBADA("lambada", "test", List.of(
            new PublishedFigure("perplexity", 35.13, "GPT-2 paper, 124M (\"117M\"), zero-shot"),
            new PublishedFigure("accuracy", 0.4599, "GPT-2 paper, 124M (\"117M\"), zero-shot"))),
    HELLASWAG("hellaswag", "val", List.of(
            new PublishedFigure("acc", 0.2859, "llm.c hellaswag.py, GPT-2 124M, completion style"),
            new PublishedFigure("acc_norm", 0.2955, "llm.c hellaswag.py, GPT-2 124M, completion style")));

    private final String wireName;
    private final String defaultSplit;
    private final List<PublishedFigure> published;

    Benchmark(String wireName, String defaultSplit, List<PublishedFigure> published) {
        this.wireName = wireName;
        this.defaultSplit = defaultSplit;
        this.published = published;
    }

    public static final List<String> NAMES = Arrays.stream(values()).map(Benchmark::wireName).toList();

    public static Benchmark parse(String name) {
        for (Benchmark b : values()) {
            if (b.wireName.equals(name.toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown benchmark '" + name + "' (expected one of " + NAMES + ")");
    }

    public String wireName() {
        return wireName;
    }

    /** The split scored when {@code eval.split} is not given. */
    public String defaultSplit() {
        return defaultSplit;
    }

    /** The published GPT-2 figures to compare with, labelled by source and model size. */
    public List<PublishedFigure> published() {
        return published;
    }

    /** A published figure beside the metric it compares with. */
    public record PublishedFigure(String metric, double value, String source) {}
}
