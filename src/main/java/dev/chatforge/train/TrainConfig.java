package dev.chatforge.train;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import dev.chatforge.model.GPT2Config;
import java.nio.file.Path;

/**
 * The {@code train:} section. Model size comes from a named preset; any of its sizes can be
 * overridden (null = the preset's). The vocabulary size always comes from the tokenizer.
 *
 * @param data          output folder of the tokenize stage (manifest.json, train/val token files)
 * @param output        run folder: latest/, best/, metrics.jsonl, manifest.json
 * @param model         preset: tiny, small, gpt2, gpt2-medium, gpt2-large, gpt2-xl
 * @param nLayer        override the preset's number of blocks
 * @param nHead         override the preset's attention heads
 * @param nEmbd         override the preset's width
 * @param blockSize     context length in tokens (GPT-2's n_positions); null = the preset's
 * @param dropout       dropout everywhere (0 for pre-training, as nanoGPT; try 0.1 on small data)
 * @param batchSize     windows per micro-batch
 * @param gradAccum     micro-batches per optimizer step
 * @param maxSteps      optimizer steps
 * @param learningRate  peak learning rate, reached after warm-up
 * @param minLr         floor the cosine decays to
 * @param warmupSteps   linear warm-up steps
 * @param lrDecaySteps  step at which the cosine reaches min_lr; null = max_steps
 * @param beta1         AdamW β1
 * @param beta2         AdamW β2
 * @param weightDecay   AdamW weight decay (matrices only)
 * @param gradClip      global gradient-norm clip; 0 = off
 * @param evalInterval  validate + checkpoint every this many steps
 * @param evalWindows   validation windows per evaluation (fixed set)
 * @param logInterval   a metrics.jsonl line every this many steps
 * @param seed          data order, initialisation and dropout
 * @param device        auto (GPU when PyTorch sees one), cpu or gpu
 * @param resume        auto: continue from output/latest when it exists; never: always start over
 */
public record TrainConfig(
        Path data,
        Path output,
        String model,
        Integer nLayer,
        Integer nHead,
        Integer nEmbd,
        Integer blockSize,
        double dropout,
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
        int logInterval,
        long seed,
        String device,
        String resume) implements StageConfig {

    public static TrainConfig defaults() {
        return new TrainConfig(Path.of("data/tokens"), Path.of("checkpoints/run"), "tiny", null, null, null, null, 0.0,
                16, 1, 2000, 6e-4, 6e-5, 100, null, 0.9, 0.95, 0.1, 1.0, 200, 64, 10, 1337, "auto", "auto");
    }

    @Override
    public void validate(Checks checks) {
        checks.required("data", data);
        checks.required("output", output);
        checks.oneOf("model", model, GPT2Config.presetNames());
        if (nLayer != null) {
            checks.positive("n_layer", nLayer);
        }
        if (nHead != null) {
            checks.positive("n_head", nHead);
        }
        if (nEmbd != null) {
            checks.positive("n_embd", nEmbd);
        }
        if (blockSize != null) {
            checks.positive("block_size", blockSize);
        }
        if (GPT2Config.presetNames().contains(model)) {
            GPT2Config shape = GPT2Config.preset(model);
            int embd = nEmbd != null ? nEmbd : shape.nEmbd();
            int heads = nHead != null ? nHead : shape.nHead();
            checks.check(heads <= 0 || embd % heads == 0, "n_embd", "must be a multiple of n_head (" + heads + "), got " + embd);
        }
        checks.check(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1), got " + dropout);
        checks.positive("batch_size", batchSize);
        checks.positive("grad_accum", gradAccum);
        checks.positive("max_steps", maxSteps);
        checks.positive("learning_rate", learningRate);
        checks.check(minLr >= 0 && minLr <= learningRate, "min_lr", "must be between 0 and learning_rate (" + learningRate
                + "), got " + minLr);
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
        checks.positive("log_interval", logInterval);
        checks.oneOf("device", device, Devices.CHOICES);
        checks.oneOf("resume", resume, RunFolder.RESUME);
    }

    /** The model config: the preset, the overrides, and the tokenizer's vocabulary size. */
    public GPT2Config modelConfig(int vocabSize) {
        GPT2Config preset = GPT2Config.preset(model);
        return preset.withVocabSize(vocabSize)
                .withSizes(blockSize != null ? blockSize : preset.nPositions(),
                        nEmbd != null ? nEmbd : preset.nEmbd(),
                        nLayer != null ? nLayer : preset.nLayer(),
                        nHead != null ? nHead : preset.nHead())
                .withDropout(dropout);
    }

    public LrSchedule schedule() {
        return new LrSchedule(learningRate, minLr, warmupSteps, lrDecaySteps != null ? lrDecaySteps : maxSteps);
    }
}
