package dev.chatforge.train;

import dev.chatforge.config.Checks;
import dev.chatforge.model.Devices;
import java.util.List;

/**
 * The loop and optimizer keys that pre-training and fine-tuning share (as LitGPT's
 * {@code TrainArgs}): one record, one validation, one schedule. Each stage's config nests it
 * with {@code @JsonUnwrapped}, so in YAML the keys stay flat beside the stage's own
 * ({@code train.batch_size}, {@code finetune.learning_rate}).
 *
 * @param batchSize     windows per micro-batch
 * @param gradAccum     micro-batches per optimizer step (effective batch = batch_size · grad_accum)
 * @param maxSteps      optimizer steps in total (a resumed run stops at the same step)
 * @param learningRate  peak learning rate, reached after warm-up
 * @param minLr         floor the cosine decays to
 * @param warmupSteps   linear warm-up steps
 * @param lrDecaySteps  step at which the cosine reaches min_lr; null = max_steps
 * @param beta1         AdamW β1
 * @param beta2         AdamW β2
 * @param adamEps       AdamW ε (added to the root of the second moment)
 * @param weightDecay   AdamW decoupled weight decay (matrices only)
 * @param gradClip      global gradient-norm clip; 0 = off
 * @param evalInterval  validate + checkpoint every this many steps (and at the last step)
 * @param evalWindows   validation windows per evaluation (a fixed set)
 * @param logInterval   a metrics.jsonl line every this many steps
 * @param seed          data order, initialisation and dropout
 * @param device        auto (the GPU when PyTorch sees one), cpu or gpu
 * @param precision     auto (bf16 where the processor multiplies bf16 natively and the model is wide enough,
 *                      else fp32), fp32 or bf16 (mixed precision: products in bf16, weights and AdamW fp32)
 * @param resume        auto: continue output/latest when it exists; never: refuse to touch a run
 * @param resumeChanges refuse: a resume whose schedule, batch, seed, optimizer, dropout or data differ from
 *                      latest/'s stops and names each change; accept: continue with the new values, recorded
 *                      in metrics.jsonl and manifest.json
 */
public record TrainingSettings(
        int batchSize,
        int gradAccum,
        long maxSteps,
        double learningRate,
        double minLr,
        long warmupSteps,
        Long lrDecaySteps,
        double beta1,
        double beta2,
        double adamEps,
        double weightDecay,
        double gradClip,
        int evalInterval,
        int evalWindows,
        int logInterval,
        long seed,
        String device,
        String precision,
        String resume,
        String resumeChanges) {

    /** Values of the {@code resume} key. */
    public static final List<String> RESUME = List.of("auto", "never");

    /** Values of the {@code resume_changes} key. */
    public static final List<String> RESUME_CHANGES = List.of("refuse", "accept");

    /** Reports every invalid value under the section's key names. */
    public void validate(Checks checks) {
        checks.positive("batch_size", batchSize);
        checks.positive("grad_accum", gradAccum);
        checks.positive("max_steps", maxSteps);
        checks.positive("learning_rate", learningRate);
        checks.check(minLr >= 0 && minLr <= learningRate, "min_lr", "must be between 0 and learning_rate (" + learningRate
                + "), got " + minLr);
        checks.check(warmupSteps >= 0, "warmup_steps", "must be >= 0, got " + warmupSteps);
        if (lrDecaySteps != null) {
            checks.check(lrDecaySteps >= warmupSteps, "lr_decay_steps", "must be >= warmup_steps, got " + lrDecaySteps);
        } else {
            // The schedule ends at max_steps: a longer warm-up never reaches learning_rate (100 of 10
            // steps peaks at 10% of it). With lr_decay_steps set the schedule is deliberately longer
            // than this run (a run extended later), so the warm-up may be too.
            checks.check(warmupSteps <= maxSteps, "warmup_steps", "is " + warmupSteps + ", more than max_steps (" + maxSteps
                    + "): the learning rate would never reach learning_rate; lower warmup_steps, or set lr_decay_steps "
                    + "for a schedule longer than this run");
        }
        checks.range("beta1", beta1, 0, 0.999999);
        checks.range("beta2", beta2, 0, 0.999999);
        checks.check(adamEps > 0 && adamEps < 1, "adam_eps", "must be > 0 and < 1, got " + adamEps);
        checks.nonNegative("weight_decay", weightDecay);
        checks.nonNegative("grad_clip", gradClip);
        checks.positive("eval_interval", evalInterval);
        checks.positive("eval_windows", evalWindows);
        checks.positive("log_interval", logInterval);
        checks.oneOf("device", device, Devices.CHOICES);
        checks.oneOf("precision", precision, dev.chatforge.model.Precision.CHOICES);
        checks.oneOf("resume", resume, RESUME);
        checks.oneOf("resume_changes", resumeChanges, RESUME_CHANGES);
    }

    public LrSchedule schedule() {
        return new LrSchedule(learningRate, minLr, warmupSteps, lrDecaySteps != null ? lrDecaySteps : maxSteps);
    }

    /** What the training loop needs of these settings. */
    public TrainOptions options() {
        return new TrainOptions(batchSize, gradAccum, maxSteps, schedule(), beta1, beta2, adamEps, weightDecay, gradClip,
                evalInterval, logInterval);
    }
}
