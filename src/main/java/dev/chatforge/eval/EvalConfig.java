package dev.chatforge.eval;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import dev.chatforge.model.Devices;
import java.nio.file.Path;

/**
 * The {@code eval:} section.
 *
 * @param checkpoint checkpoint folder (e.g. checkpoints/run/best)
 * @param data       output folder of the tokenize stage
 * @param split      which split to score (val, train, ...)
 * @param stride     null: non-overlapping windows of block_size; a smaller value: sliding
 *                   windows that advance by {@code stride}, each token scored once with at
 *                   least block_size − stride tokens of context (slower, lower loss)
 * @param batchSize  windows per forward pass
 * @param device     auto, cpu or gpu
 * @param precision  auto (bf16 where the processor multiplies it natively and the model is wide enough), fp32 or bf16
 * @param report     JSON report file; null = stdout only
 */
public record EvalConfig(
        Path checkpoint,
        Path data,
        String split,
        Integer stride,
        int batchSize,
        String device,
        String precision,
        Path report) implements StageConfig {

    public static EvalConfig defaults() {
        return new EvalConfig(Path.of("checkpoints/run/best"), Path.of("data/tokens"), "val", null, 16, "auto", "auto", null);
    }

    @Override
    public void validate(Checks checks) {
        checks.required("checkpoint", checkpoint);
        checks.required("data", data);
        checks.required("split", split);
        if (stride != null) {
            checks.positive("stride", stride);
        }
        checks.positive("batch_size", batchSize);
        checks.oneOf("device", device, Devices.CHOICES);
        checks.oneOf("precision", precision, dev.chatforge.model.Precision.CHOICES);
    }
}
