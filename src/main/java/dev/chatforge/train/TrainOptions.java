package dev.chatforge.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * What the training loop needs to know, independent of where the settings came from (the
 * train stage's config, or the finetune stage's).
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
 * @param evalWindows    fixed validation windows (block_size tokens each) per evaluation
 * @param logInterval    a metrics line every this many steps
 * @param seed           seed of the data order and dropout
 * @param outputDir      run folder: latest/, best/, metrics.jsonl
 * @param tokenizerFile  tokenizer.json copied into every checkpoint (null: none, tests only)
 * @param run            free-form facts recorded in trainer_state.json
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
        int evalWindows,
        int logInterval,
        long seed,
        Path outputDir,
        Path tokenizerFile,
        JsonNode run) {

    public TrainOptions {
        if (batchSize <= 0 || gradAccum <= 0 || maxSteps <= 0 || evalInterval <= 0 || evalWindows <= 0 || logInterval <= 0) {
            throw new IllegalArgumentException("batch_size, grad_accum, max_steps, eval_interval, eval_windows and "
                    + "log_interval must be > 0");
        }
    }
}
