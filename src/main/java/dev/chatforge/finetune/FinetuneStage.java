package dev.chatforge.finetune;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.train.Checkpoint;
import dev.chatforge.train.MetricsLog;
import dev.chatforge.tokenizer.TokenizedData;
import dev.chatforge.tokenizer.TokenizerExtension;
import dev.chatforge.train.TokenizerCheck;
import dev.chatforge.train.TrainerState;
import dev.chatforge.train.TrainingRun;
import dev.chatforge.train.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code chatforge finetune}: continues a checkpoint on dialogue data, learning the agent's
 * replies. What is its own: the parent checkpoint (its tokenizer must be the data's; its weights
 * start the run and are recorded as parent), whole conversations packed into windows, early
 * stopping on the validation loss, the chat template recorded for chat. The run itself (lock,
 * resume or start over, checkpoints, manifest) is {@link TrainingRun}'s, shared with train.
 */
public final class FinetuneStage {
    private FinetuneStage() {}

    /** What a fine-tuning run did. */
    public record Result(TrainerState end, Double initialValLoss, boolean stoppedEarly) {}

    public static Result run(FinetuneConfig config, boolean force) {
        Path parent = config.checkpoint();
        if (!Files.isDirectory(parent)) {
            throw new StageInputException(parent + ": checkpoint folder not found (train one with `chatforge train`)");
        }
        java.util.function.UnaryOperator<GPT2Config> dropout = c -> config.dropout() == null ? c : c.withDropout(config.dropout());
        GPT2Config modelConfig = dropout.apply(GPT2Config.read(parent));
        TokenizedData data = TokenizedData.read(config.data());
        // The checkpoint's tokenizer, or it plus special tokens tokenize appended: the model then grows.
        TokenizerExtension vocabulary = TokenizerCheck.requireSameOrExtended(parent, modelConfig, data, true);
        Path tokenizerFile = vocabulary.tokenizer();
        int block = config.blockSize() == null ? modelConfig.nPositions() : config.blockSize();
        if (block > modelConfig.nPositions()) {
            throw new dev.chatforge.config.ConfigException("key 'finetune.block_size': must be <= the checkpoint's "
                    + "n_positions (" + modelConfig.nPositions() + "), got " + block);
        }
        ChatTemplate template = ChatTemplate.parse(data.manifest().stats().path("template").asText("turns"));
        TrainingSettings settings = config.training();
        PackedDialogues dialogues = PackedDialogues.load(data, tokenizerFile, block, config.trainOn(), settings.evalWindows(),
                settings.batchSize());

        String parentSha256 = Hashing.sha256(Checkpoint.weightsFile(parent));
        ObjectNode facts = Json.MAPPER.createObjectNode();
        facts.put("stage", "finetune");
        facts.put("parent", parent.toString());
        facts.put("parent_sha256", parentSha256);
        if (Files.exists(parent.resolve(TrainerState.FILE_NAME))) {
            facts.put("parent_step", TrainerState.read(parent).step());
        }
        facts.put("data", config.data().toString());
        facts.set("data_sha256", data.fileHashes());
        facts.put("chat_template", template.wireName());
        facts.put("train_on", config.trainOn().wireName());
        facts.set("config", Json.MAPPER.valueToTree(config));
        if (!vocabulary.appended().isEmpty()) {
            facts.put("base_vocab_size", vocabulary.baseVocab());
            vocabulary.appended().forEach(facts.withArray("appended_special_tokens")::add);
        }
        EarlyStopping stopping = new EarlyStopping(config.patience(), settings.evalInterval());
        try (TrainingRun run = TrainingRun.open("finetune", config.output(), settings, force, List.of(parent, config.data()),
                tokenizerFile)) {
            TrainerState start = run.begin(facts, modelConfig.withVocabSize(vocabulary.vocabSize()),
                    device -> Checkpoint.load(parent, device, dropout).withVocabSize(vocabulary.vocabSize()).model(), saved -> {
                if (!parentSha256.equals(saved.run().path("parent_sha256").asText())) {
                    throw new StageInputException(run.folder().latest() + ": was fine-tuned from another checkpoint ("
                            + saved.run().path("parent").asText("?") + ") than " + parent + "; pass --force to start over");
                }
            });
            System.err.printf(Locale.ROOT, "finetune: %s (step %s) on %s, train_on %s, template %s, lr %.2g, %s%n", parent,
                    facts.path("parent_step").asText("?"), config.data(), config.trainOn().wireName(), template.wireName(),
                    settings.learningRate(), run.device());
            boolean alreadyStopped = stopping.test(start);
            if (alreadyStopped) {
                // The run this resumes had already stopped early: its best/ stands, nothing to add.
                System.err.printf(Locale.ROOT, "finetune: %s already stopped early at step %d (best %.4f at step %d); "
                        + "nothing to do (--force starts over)%n", run.folder().latest(), start.step(), start.bestValLoss(),
                        start.bestStep());
            }
            TrainerState end = alreadyStopped ? start
                    : run.fit(new PackedWindowSampler(dialogues.train(), settings.seed()), dialogues.validation(), stopping::test);
            boolean stoppedEarly = stopping.test(end);
            if (stoppedEarly && !alreadyStopped) {
                System.err.printf(Locale.ROOT, "finetune: early stop at step %d: no better validation loss in %d "
                        + "evaluations (best %.4f at step %d)%n", end.step(), config.patience(), end.bestValLoss(),
                        end.bestStep());
            }
            Double initial = MetricsLog.valLossAt(run.folder().metricsFile(), 0); // the parent's
            run.writeManifest(config, inputs(parent, data), end, stats(facts, dialogues.train(), initial, stoppedEarly));
            System.err.printf(Locale.ROOT, "finetune: done at step %d; validation loss %s → best %s (step %d); checkpoints "
                    + "in %s%n", end.step(), initial == null ? "-" : String.format(Locale.ROOT, "%.4f", initial),
                    end.bestValLoss() == null ? "-" : String.format(Locale.ROOT, "%.4f", end.bestValLoss()), end.bestStep(),
                    config.output());
            return new Result(end, initial, stoppedEarly);
        }
    }

    private static List<Manifest.FileEntry> inputs(Path parent, TokenizedData data) {
        List<Manifest.FileEntry> inputs = new ArrayList<>();
        inputs.add(Manifest.FileEntry.of(Checkpoint.weightsFile(parent), null));
        inputs.addAll(data.manifestEntries());
        return inputs;
    }

    private static ObjectNode stats(ObjectNode facts, PackedWindows train, Double initial, boolean stoppedEarly) {
        ObjectNode stats = Json.MAPPER.createObjectNode();
        for (String key : List.of("parent", "parent_step", "parent_sha256", "chat_template", "train_on",
                "appended_special_tokens")) {
            stats.set(key, facts.get(key));
        }
        stats.put("train_windows", train.count());
        stats.put("train_trained_tokens", train.trainedTokens());
        stats.put("stopped_early", stoppedEarly);
        stats.put("initial_val_loss", initial);
        return stats;
    }
}
