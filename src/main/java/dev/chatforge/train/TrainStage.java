package dev.chatforge.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.TokenFile;
import dev.chatforge.tokenizer.TokenizedData;
import java.util.List;

/**
 * {@code chatforge train}: pre-trains a GPT-2 on the tokenize stage's token files. What is its
 * own: a fresh model of the configured size and random windows of the token stream; the run
 * (lock, resume or start over, checkpoints, manifest) is {@link TrainingRun}'s, shared with
 * finetune.
 */
public final class TrainStage {
    private TrainStage() {}

    public static TrainerState run(TrainConfig config, boolean force) {
        TokenizedData data = TokenizedData.read(config.data());
        TokenFile train = data.open("train");
        GPT2Config modelConfig = config.modelConfig(data.vocabSize());
        int block = modelConfig.nPositions();
        if (train.size() < block + 1L) {
            throw new StageInputException(train.path() + ": has " + train.size() + " tokens, fewer than one training "
                    + "window of block_size + 1 = " + (block + 1) + "; use more data or a smaller block_size");
        }
        TokenFile val = data.hasSplit("val") ? data.open("val") : null;
        if (val != null && val.size() < block + 1L) {
            System.err.println("train: warning: " + val.path() + " has " + val.size() + " tokens, fewer than one window of "
                    + (block + 1) + "; training without validation (no best/ checkpoint)");
            val = null;
        }
        TrainingSettings settings = config.training();
        List<TokenBatch> validation = val == null ? List.of()
                : FixedWindows.of(val, block, settings.evalWindows(), settings.batchSize());

        ObjectNode facts = Json.MAPPER.createObjectNode();
        facts.put("stage", "train");
        facts.put("data", config.data().toString());
        facts.set("data_sha256", data.fileHashes());
        facts.set("config", Json.MAPPER.valueToTree(config));
        try (TrainingRun run = TrainingRun.open("train", config.output(), settings, force, List.of(config.data()),
                data.tokenizer())) {
            run.begin(facts, modelConfig, device -> GPT2.create(modelConfig, device, settings.seed()), state -> {});
            System.err.printf("train: %s on %s, %s tokens of training data%n", describe(config, modelConfig), run.device(),
                    String.format("%,d", train.size()));
            TrainerState end = run.fit(new RandomWindows(train, block, settings.seed()), validation, state -> false);
            ObjectNode stats = Json.MAPPER.createObjectNode().put("parameters", modelConfig.parameterCount());
            run.writeManifest(config, data.manifestEntries(), end, stats);
            System.err.printf("train: done at step %d; checkpoints in %s%n", end.step(), config.output());
            return end;
        }
    }

    private static String describe(TrainConfig config, GPT2Config m) {
        return String.format("GPT-2 '%s' (n_layer %d, n_head %d, n_embd %d, block %d, vocab %d, %.2fM parameters)",
                config.model(), m.nLayer(), m.nHead(), m.nEmbd(), m.nPositions(), m.vocabSize(), m.parameterCount() / 1e6);
    }
}
