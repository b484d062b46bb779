package dev.chatforge.finetune;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import dev.chatforge.train.Devices;
import dev.chatforge.train.LrSchedule;
import dev.chatforge.train.RunFolder;
import java.nio.file.Path;

/**
 * The {@code finetune:} section: continue a checkpoint on dialogue data. Defaults are the usual
 * fine-tuning ones: a lower learning rate than pre-training, a short warm-up, cosine decay, and
 * early stopping on the validation loss.
 *
 * @param checkpoint    the checkpoint to start from (e.g. checkpoints/run/best); recorded as parent
 * @param data          tokenize output of the dialogues, made with the checkpoint's own tokenizer
 * @param output        run folder: latest/, best/, metrics.jsonl, manifest.json
 * @param trainOn       agent (replies and their end-of-turn), all, or last_agent
 * @param blockSize     window length; null = the checkpoint's n_positions (may only be smaller)
 * @param batchSize     windows per micro-batch
 * @param gradAccum     micro-batches per optimizer step
 * @param maxSteps      the most optimizer steps
 * @param learningRate  peak learning rate after warm-up
 * @param minLr         floor of the cosine decay
 * @param warmupSteps   linear warm-up steps
 * @param lrDecaySteps  step where the cosine reaches min_lr; null = max_steps
 * @param beta1         AdamW β1
 * @param beta2         AdamW β2
 * @param weightDecay   AdamW weight decay (matrices only)
 * @param gradClip      global gradient-norm clip; 0 = off
 * @param evalInterval  validate and checkpoint every this many steps
 * @param evalWindows   most validation windows per evaluation (whole conversations, packed)
 * @param patience      stop after this many evaluations without a better validation loss; 0 = never
 * @param logInterval   a metrics.jsonl line every this many steps
 * @param seed          data order and dropout
 * @param device        auto, cpu or gpu
 * @param resume        auto: continue output/latest when it exists (as train does); never: start over
 */
public record FinetuneConfig(
        Path checkpoint,
        Path data,
        Path output,
        TrainOn trainOn,
        Integer blockSize,
        int batchSize,
        int gradAccum,
        long maxSteps,
        double learningRate,
        double minLr,
        long warmupSteps,
        Long lrDecaySteps,
        double beta1,
        double beta2,
        double weightDecay,
        double gradClip,
        int evalInterval,
        int evalWindows,
        int patience,
        int logInterval,
        long seed,
        String device,
        String resume) implements StageConfig {

    public static FinetuneConfig defaults() {
        return new FinetuneConfig(null, null, null, TrainOn.AGENT, null, 8, 1, 500, 1e-4, 1e-5, 20, null,
                0.9, 0.95, 0.01, 1.0, 25, 64, 3, 5, 1337, "auto", "auto");
    }

    @Override
    public void validate(Checks checks) {
        checks.required("checkpoint", checkpoint);
        checks.required("data", data);
        checks.required("output", output);
        checks.required("train_on", trainOn);
        if (blockSize != null) {
            checks.check(blockSize >= 2, "block_size", "must be >= 2, got " + blockSize);
        }
        checks.positive("batch_size", batchSize);
        checks.positive("grad_accum", gradAccum);
        checks.positive("max_steps", maxSteps);
        checks.positive("learning_rate", learningRate);
        checks.check(minLr >= 0 && minLr <= learningRate, "min_lr", "must be between 0 and learning_rate ("
                + learningRate + "), got " + minLr);
        checks.check(warmupSteps >= 0, "warmup_steps", "must be >= 0, got " + warmupSteps);
        if (lrDecaySteps != null) {
            checks.check(lrDecaySteps >= warmupSteps, "lr_decay_steps", "must be >= warmup_steps, got " + lrDecaySteps);
        }
        checks.range("beta1", beta1, 0, 0.999999);
        checks.range("beta2", beta2, 0, 0.999999);
        checks.nonNegative("weight_decay", weightDecay);
        checks.nonNegative("grad_clip", gradClip);
        checks.positive("eval_interval", evalInterval);
        checks.positive("eval_windows", evalWindows);
        checks.check(patience >= 0, "patience", "must be >= 0 (0 = no early stopping), got " + patience);
        checks.positive("log_interval", logInterval);
        checks.oneOf("device", device, Devices.CHOICES);
        checks.oneOf("resume", resume, RunFolder.RESUME);
    }

    public LrSchedule schedule() {
        return new LrSchedule(learningRate, minLr, warmupSteps, lrDecaySteps != null ? lrDecaySteps : maxSteps);
    }
}
