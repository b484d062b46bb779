package dev.chatforge.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.TokenFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chatforge train}: pre-trains a GPT-2 on the tokenize stage's token files. The setup →
 * fit → record recipe; the loop itself is {@link Trainer}, shared with finetune.
 *
 * <p>Output folder: {@code latest/} (resumable checkpoint), {@code best/} (lowest validation
 * loss), {@code metrics.jsonl}, {@code manifest.json}. With {@code resume: auto} an existing
 * {@code latest/} is continued exactly; {@code --force} starts over.
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

        Path out = config.output();
        Path latest = Trainer.latest(out);
        boolean resume = RunFolder.resume(out, config.resume(), force, "training");
        if (!resume) {
            RunFolder.clear(out);
        }

        Device device = Devices.resolve(config.device());
        Engine.getInstance().setRandomSeed((int) config.seed());
        ObjectNode run = Json.MAPPER.createObjectNode();
        run.put("stage", "train");
        run.put("data", config.data().toString());
        run.set("config", Json.MAPPER.valueToTree(config));
        TrainOptions options = new TrainOptions(config.batchSize(), config.gradAccum(), config.maxSteps(),
                config.schedule(), config.beta1(), config.beta2(), 1e-8, config.weightDecay(), config.gradClip(),
                config.evalInterval(), config.evalWindows(), config.logInterval(), config.seed(), out, data.tokenizer(), run);

        GPT2 model = null;
        AdamW optimizer = null;
        try {
            TrainerState start;
            if (resume) {
                Checkpoint checkpoint = Checkpoint.load(latest, device);
                model = checkpoint.model();
                if (!checkpoint.config().equals(modelConfig)) {
                    throw new StageInputException(latest + ": was trained with " + checkpoint.config() + ", the config now "
                            + "asks for " + modelConfig + "; pass --force to start over, or restore the settings");
                }
                if (checkpoint.tokenizer() != null
                        && !Hashing.sha256(checkpoint.tokenizer()).equals(Hashing.sha256(data.tokenizer()))) {
                    throw new StageInputException(latest + ": was trained with a different tokenizer than "
                            + data.tokenizer() + "; pass --force to start over");
                }
                optimizer = Trainer.newOptimizer(model, options);
                Checkpoint.loadOptimizer(latest, optimizer, checkpoint.state().step(), device);
                start = checkpoint.state();
                System.err.printf("train: resuming %s from step %d%n", latest, start.step());
            } else {
                model = GPT2.create(modelConfig, device, config.seed());
                optimizer = Trainer.newOptimizer(model, options);
                start = TrainerState.start(config.seed(), run);
            }
            System.err.printf("train: %s on %s, %s tokens of training data%n", describe(config, modelConfig), device,
                    String.format("%,d", train.size()));
            TrainerState end = new Trainer(model, optimizer, start, options, new RandomWindows(train, block, config.seed()),
                    val).run();
            writeManifest(config, data, val != null, end, modelConfig);
            System.err.printf("train: done at step %d; checkpoints in %s%n", end.step(), out);
            return end;
        } finally {
            if (optimizer != null) {
                optimizer.close();
            }
            if (model != null) {
                model.close();
            }
        }
    }

    private static String describe(TrainConfig config, GPT2Config m) {
        return String.format("GPT-2 '%s' (n_layer %d, n_head %d, n_embd %d, block %d, vocab %d, %.2fM parameters)",
                config.model(), m.nLayer(), m.nHead(), m.nEmbd(), m.nPositions(), m.vocabSize(), m.parameterCount() / 1e6);
    }

    private static void writeManifest(TrainConfig config, TokenizedData data, boolean validated, TrainerState end,
                                      GPT2Config modelConfig) {
        List<Manifest.FileEntry> inputs = new ArrayList<>();
        for (Manifest.FileEntry e : data.manifest().outputs()) {
            inputs.add(new Manifest.FileEntry(data.dir().resolve(e.path()).toString(), e.bytes(), e.sha256()));
        }
        ObjectNode stats = Json.MAPPER.createObjectNode();
        stats.put("step", end.step());
        stats.put("tokens_seen", end.tokensSeen());
        stats.put("parameters", modelConfig.parameterCount());
        stats.put("train_loss", end.trainLoss());
        stats.put("val_loss", end.valLoss());
        stats.put("best_val_loss", end.bestValLoss());
        stats.put("best_step", end.bestStep());
        stats.put("elapsed_s", end.elapsedSeconds());
        List<Manifest.FileEntry> outputs = Trainer.checkpointWeights(config.output(), validated);
        Manifest.create("train", inputs, Json.MAPPER.valueToTree(config), stats, outputs).writeTo(config.output());
    }
}
