package dev.chatforge.eval;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import dev.chatforge.eval.benchmark.Benchmark;
import dev.chatforge.model.Devices;
import java.nio.file.Path;

/**
 * The {@code eval:} section.
 *
 * @param checkpoint    checkpoint folder (e.g. checkpoints/run/best)
 * @param data          output folder of the tokenize stage (not read when {@code benchmark} is set)
 * @param split         which split to score; null: val for {@code data}, the benchmark's usual
 *                      part otherwise (test; HellaSwag: val)
 * @param stride        null: non-overlapping windows of block_size; a smaller value: sliding
 *                      windows that advance by {@code stride}, each token scored once with at
 *                      least block_size − stride tokens of context (slower, lower loss). WikiText-2
 *                      and PTB use it too
 * @param batchSize     windows (or benchmark sequences) per forward pass
 * @param device        auto, cpu or gpu
 * @param precision     auto (bf16 where the processor multiplies it natively and the model is wide enough), fp32 or bf16
 * @param report        JSON report file; null = stdout only
 * @param benchmark     null, or wikitext2 | ptb | lambada | hellaswag: score that benchmark instead of {@code data}
 * @param benchmarkData the benchmark's local folder (WikiText-2, PTB; null: DJL downloads it when
 *                      DJL_OFFLINE=false) or file (LAMBADA's JSONL, hellaswag_val.jsonl)
 * @param answers       generate and score the replies to the first N user turns of the split's
 *                      conversations (answers.jsonl beside the report); 0 = off
 * @param maxNewTokens  the most tokens a generated answer may take
 */
public record EvalConfig(
        Path checkpoint,
        Path data,
        String split,
        Integer stride,
        int batchSize,
        String device,
        String precision,
        Path report,
        String benchmark,
        Path benchmarkData,
        int answers,
        int maxNewTokens) implements StageConfig {

    /** The section without benchmark or answers: perplexity of a tokenized split. */
    public EvalConfig(Path checkpoint, Path data, String split, Integer stride, int batchSize, String device, Path report) {
        this(checkpoint, data, split, stride, batchSize, device, "auto", report, null, null, 0, 64);
    }

    public static EvalConfig defaults() {
        return new EvalConfig(Path.of("checkpoints/run/best"), Path.of("data/tokens"), null, null, 16, "auto", "auto", null,
                null, null, 0, 64);
    }

    /** The split scored: as given, else val for tokenized data and the benchmark's usual part. */
    public String effectiveSplit() {
        if (split != null) {
            return split;
        }
        return benchmark == null ? "val" : Benchmark.parse(benchmark).defaultSplit();
    }

    @Override
    public void validate(Checks checks) {
        checks.required("checkpoint", checkpoint);
        if (benchmark == null) {
            checks.required("data", data);
        } else {
            checks.oneOf("benchmark", benchmark, Benchmark.NAMES);
            checks.check(answers == 0, "answers", "generates replies to the dialogues of 'data'; run it in an eval "
                    + "section without 'benchmark'");
        }
        if (split != null) {
            checks.check(!split.isBlank(), "split", "must not be empty");
        }
        if (stride != null) {
            checks.positive("stride", stride);
        }
        checks.positive("batch_size", batchSize);
        checks.oneOf("device", device, Devices.CHOICES);
        checks.nonNegative("answers", answers);
        checks.check(answers == 0 || report != null, "answers", "needs 'report': answers.jsonl is written beside it");
        checks.positive("max_new_tokens", maxNewTokens);
        checks.oneOf("precision", precision, dev.chatforge.model.Precision.CHOICES);
    }
}
