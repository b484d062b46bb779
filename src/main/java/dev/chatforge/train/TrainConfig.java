package dev.chatforge.train;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
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
 * @param training      the loop and optimizer keys shared with finetune (flat in YAML)
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
        @JsonUnwrapped TrainingSettings training) implements StageConfig {

    public static TrainConfig defaults() {
        return new TrainConfig(Path.of("data/tokens"), Path.of("checkpoints/run"), "tiny", null, null, null, null, 0.0,
                new TrainingSettings(16, 1, 2000, 6e-4, 6e-5, 100, null, 0.9, 0.95, 1e-8, 0.1, 1.0, 200, 64, 10, 1337,
                        "auto", "auto", "auto", "refuse"));
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
        training.validate(checks);
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
}
