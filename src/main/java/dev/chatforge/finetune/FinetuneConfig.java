package dev.chatforge.finetune;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import dev.chatforge.train.TrainingSettings;
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
 * @param patience      stop after this many evaluations without a better validation loss; 0 = never
 * @param dropout       dropout everywhere while fine-tuning; null = the checkpoint's own (GPT-2's config.json
 *                      says 0.1, which Hugging Face's Trainer uses; nanoGPT fine-tunes with 0, which is faster
 *                      and keeps less memory)
 * @param training      the loop and optimizer keys shared with train (flat in YAML)
 */
public record FinetuneConfig(
        Path checkpoint,
        Path data,
        Path output,
        TrainOn trainOn,
        Integer blockSize,
        int patience,
        Double dropout,
        @JsonUnwrapped TrainingSettings training) implements StageConfig {

    public static FinetuneConfig defaults() {
        return new FinetuneConfig(null, null, null, TrainOn.AGENT, null, 3, null,
                new TrainingSettings(8, 1, 500, 1e-4, 1e-5, 20, null, 0.9, 0.95, 1e-8, 0.01, 1.0, 25, 64, 5, 1337, "auto",
                        "auto", "auto", "refuse"));
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
        if (dropout != null) {
            checks.check(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1), got " + dropout);
        }
        checks.check(patience >= 0, "patience", "must be >= 0 (0 = no early stopping), got " + patience);
        training.validate(checks);
    }
}
