package dev.chatforge.train;

/**
 * What the training loop needs to know of the settings ({@link TrainingSettings#options()}),
 * without the keys that only the stages use (data, device, resume).
 *
 * @param batchSize      windows per micro-batch
 * @param gradAccum      micro-batches per optimizer step (effective batch = batchSize · gradAccum)
 * @param maxSteps       optimizer steps in total (a resumed run stops at the same step)
 * @param schedule       learning rate per step
 * @param beta1          AdamW β1
 * @param beta2          AdamW β2
 * @param eps            AdamW ε
 * @param weightDecay    AdamW decoupled weight decay (matrices only)
 * @param gradClip       global gradient-norm limit; 0 = no clipping
 * @param evalInterval   validate and checkpoint every this many steps (and at the last step)
 * @param logInterval    a metrics line every this many steps
 */
public record TrainOptions(
        int batchSize,
        int gradAccum,
        long maxSteps,
        LrSchedule schedule,
        double beta1,
        double beta2,
        double eps,
        double weightDecay,
        double gradClip,
        int evalInterval,
        int logInterval) {

    public TrainOptions {
        if (batchSize <= 0 || gradAccum <= 0 || maxSteps <= 0 || evalInterval <= 0 || logInterval <= 0) {
            throw new IllegalArgumentException("batch_size, grad_accum, max_steps, eval_interval and log_interval must "
                    + "be > 0");
        }
    }
}
