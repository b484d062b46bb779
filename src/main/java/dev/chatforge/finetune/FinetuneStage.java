package dev.chatforge.finetune;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.chat.ChatTemplate;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.ChatTokenizer;
import dev.chatforge.tokenizer.TokenFile;
import dev.chatforge.tokenizer.TokenSource;
import dev.chatforge.tokenizer.TokenizerExtension;
import dev.chatforge.tokenizer.VocabAndMerges;
import dev.chatforge.train.AdamW;
import dev.chatforge.train.Checkpoint;
import dev.chatforge.train.Devices;
import dev.chatforge.train.MetricsLog;
import dev.chatforge.train.RunFolder;
import dev.chatforge.train.TokenBatch;
import dev.chatforge.train.TrainOptions;
import dev.chatforge.train.Trainer;
import dev.chatforge.train.TrainerState;
import dev.chatforge.train.TokenizedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code chatforge finetune}: continues a checkpoint on dialogue data, learning the agent's
 * replies. Setup (check that the data was tokenized with the checkpoint's own tokenizer, pack
 * whole conversations into windows) → fit (the training loop of pre-training, {@link Trainer},
 * with its own schedule and early stopping on validation loss) → record (the same checkpoint
 * folders and metrics as train, the parent checkpoint in the manifest and trainer state).
 */
public final class FinetuneStage {
    private FinetuneStage() {}

    /** What a fine-tuning run did. */
    public record Result(TrainerState end, Double initialValLoss, boolean stoppedEarly) {}

    public static Result run(FinetuneConfig config, boolean force) {
        Path out = config.output();
        boolean resume = RunFolder.resume(out, config.resume(), force, "fine-tuning");
        Path parent = config.checkpoint();
        if (!Files.isDirectory(parent)) {
            throw new StageInputException(parent + ": checkpoint folder not found (train one with `chatforge train`)");
        }
        GPT2Config modelConfig = GPT2Config.read(parent);
        TokenizedData data = TokenizedData.read(config.data());
        TokenizerExtension vocabulary = requireSameTokenizer(parent, data, modelConfig);
        Path tokenizerFile = vocabulary.tokenizer();
        int block = config.blockSize() == null ? modelConfig.nPositions() : config.blockSize();
        if (block > modelConfig.nPositions()) {
            throw new dev.chatforge.config.ConfigException("key 'finetune.block_size': must be <= the checkpoint's "
                    + "n_positions (" + modelConfig.nPositions() + "), got " + block);
        }
        ChatTemplate template = ChatTemplate.parse(data.manifest().stats().path("template").asText("turns"));

        ConversationPacker packer;
        try (ChatTokenizer tokenizer = ChatTokenizer.load(tokenizerFile)) {
            Set<Integer> exchangeStarts = new HashSet<>();
            for (String opener : List.of(ChatTemplate.USER, ChatTemplate.INST_OPEN)) {
                Integer id = tokenizer.specialTokens().get(opener);
                if (id != null) {
                    exchangeStarts.add(id);
                }
            }
            packer = new ConversationPacker(block, tokenizer.endOfTextId(), exchangeStarts, config.trainOn());
        }
        PackedWindows train = pack(packer, data.open("train"));
        if (train.count() == 0) {
            throw new StageInputException(data.dir().resolve("train.bin") + ": no conversation has a token to train on "
                    + "(train_on: " + config.trainOn().wireName() + ")");
        }
        List<TokenBatch> validation = List.of();
        if (data.hasSplit("val")) {
            PackedWindows val = pack(packer, data.open("val"));
            validation = PackedWindowSampler.batches(val, config.evalWindows(), config.batchSize());
            describe("val", val);
        }
        if (validation.isEmpty()) {
            System.err.println("finetune: warning: " + config.data() + " has no validation conversations; no early "
                    + "stopping and no best/ checkpoint");
        }
        describe("train", train);

        if (!resume) {
            RunFolder.clear(out);
        }
        Device device = Devices.resolve(config.device());
        Engine.getInstance().setRandomSeed((int) config.seed());
        String parentSha256 = Hashing.sha256(Checkpoint.weightsFile(parent));
        ObjectNode run = Json.MAPPER.createObjectNode();
        run.put("stage", "finetune");
        run.put("parent", parent.toString());
        run.put("parent_sha256", parentSha256);
        run.put("data", config.data().toString());
        run.put("chat_template", template.wireName());
        run.put("train_on", config.trainOn().wireName());
        run.set("config", Json.MAPPER.valueToTree(config));
        if (!vocabulary.appended().isEmpty()) {
            run.put("base_vocab_size", vocabulary.baseVocab());
            vocabulary.appended().forEach(run.withArray("appended_special_tokens")::add);
        }
        TrainOptions options = new TrainOptions(config.batchSize(), config.gradAccum(), config.maxSteps(),
                config.schedule(), config.beta1(), config.beta2(), 1e-8, config.weightDecay(), config.gradClip(),
                config.evalInterval(), config.evalWindows(), config.logInterval(), config.seed(), out, tokenizerFile, run);

        EarlyStopping stopping = new EarlyStopping(config.patience(), config.evalInterval());
        boolean[] stoppedEarly = {false};
        TrainerState end;
        Path latest = Trainer.latest(out);
        try (Checkpoint checkpoint = Checkpoint.load(resume ? latest : parent, device)
                .withVocabSize(vocabulary.vocabSize());
             AdamW optimizer = Trainer.newOptimizer(checkpoint.model(), options)) {
            TrainerState start;
            if (resume) {
                start = checkpoint.state();
                JsonNode saved = start.run();
                if (!parentSha256.equals(saved.path("parent_sha256").asText())) {
                    throw new StageInputException(latest + ": was fine-tuned from another checkpoint ("
                            + saved.path("parent").asText("?") + ") than " + parent + "; pass --force to start over");
                }
                Checkpoint.loadOptimizer(latest, optimizer, start.step(), device);
                if (saved.has("parent_step")) {
                    run.set("parent_step", saved.get("parent_step"));
                }
                start = start.withRun(run);
                System.err.printf("finetune: resuming %s from step %d%n", latest, start.step());
            } else {
                start = TrainerState.start(config.seed(), run);
                if (checkpoint.state() != null) {
                    run.put("parent_step", checkpoint.state().step());
                }
            }
            System.err.printf(Locale.ROOT, "finetune: %s (step %s) on %s, train_on %s, template %s, lr %.2g, %s%n", parent,
                    run.path("parent_step").asText("?"), config.data(), config.trainOn().wireName(), template.wireName(),
                    config.learningRate(), device);
            if (stopping.test(start)) {
                // The run this resumes had already stopped early: its best/ stands, nothing to add.
                System.err.printf(Locale.ROOT, "finetune: %s already stopped early at step %d (best %.4f at step %d); "
                        + "nothing to do (--force starts over)%n", latest, start.step(), start.bestValLoss(), start.bestStep());
                stoppedEarly[0] = true;
                end = start;
            } else {
                end = new Trainer(checkpoint.model(), optimizer, start, options,
                        new PackedWindowSampler(train, config.seed()), (TokenSource) null)
                        .validateOn(validation)
                        .stopWhen(state -> {
                            if (!stopping.test(state)) {
                                return false;
                            }
                            stoppedEarly[0] = true;
                            System.err.printf(Locale.ROOT, "finetune: early stop at step %d: no better validation loss in "
                                    + "%d evaluations (best %.4f at step %d)%n", state.step(), config.patience(),
                                    state.bestValLoss(), state.bestStep());
                            return true;
                        })
                        .run();
            }
        }
        Double initial = initialValLoss(out.resolve(MetricsLog.FILE_NAME));
        writeManifest(config, data, parent, run, train, end, initial, stoppedEarly[0], !validation.isEmpty());
        System.err.printf(Locale.ROOT, "finetune: done at step %d; validation loss %s → best %s (step %d); checkpoints in %s%n",
                end.step(), initial == null ? "-" : String.format(Locale.ROOT, "%.4f", initial),
                end.bestValLoss() == null ? "-" : String.format(Locale.ROOT, "%.4f", end.bestValLoss()), end.bestStep(), out);
        return new Result(end, initial, stoppedEarly[0]);
    }

    /**
     * The data's tokenizer must be the checkpoint's: same ids for the same text. Compared by
     * content (a vocabulary of the same size can still map text to other ids); special tokens
     * appended after the checkpoint's ids (by tokenize) are allowed, the model grows to match.
     */
    static TokenizerExtension requireSameTokenizer(Path checkpoint, TokenizedData data, GPT2Config modelConfig) {
        Path own = VocabAndMerges.tokenizerOf(checkpoint);
        if (own == null) {
            own = checkpoint.resolve(Checkpoint.TOKENIZER);
            throw new StageInputException(own + ": not found; the checkpoint must carry the tokenizer it was trained "
                    + "with, to check that " + data.dir() + " was tokenized with it");
        }
        Path theirs = data.tokenizer();
        Path named = Files.exists(checkpoint.resolve(Checkpoint.TOKENIZER)) ? checkpoint.resolve(Checkpoint.TOKENIZER)
                : checkpoint.resolve(VocabAndMerges.VOCAB);
        String hint = "; tokenize the dialogues with the checkpoint's tokenizer (tokenize section: tokenizer: " + named + ")";
        // The same tokenizer, or the same plus special tokens tokenize appended (the model then grows).
        TokenizerExtension extension = TokenizerExtension.of(own, theirs, hint);
        if (extension.baseVocab() != modelConfig.vocabSize() || data.vocabSize() != extension.vocabSize()) {
            throw new StageInputException(theirs + ": vocabulary of " + data.vocabSize() + " tokens, but the checkpoint "
                    + checkpoint + " has vocab_size " + modelConfig.vocabSize() + hint);
        }
        return extension;
    }

    private static PackedWindows pack(ConversationPacker packer, TokenFile file) {
        return packer.pack(file, file.path().toString());
    }

    private static void describe(String split, PackedWindows w) {
        long total = (long) w.count() * w.length();
        System.err.printf(Locale.ROOT, "finetune: %s: %,d conversations → %,d pieces in %,d windows of %d tokens, "
                        + "%,d trained tokens, %.0f%% padding%n", split, w.conversations(), w.pieces(), w.count(), w.length(),
                w.trainedTokens(), total == 0 ? 0 : 100.0 * w.paddingTokens() / total);
    }

    /** The validation loss the trainer logged before the first step (the parent's). */
    private static Double initialValLoss(Path metrics) {
        if (!Files.exists(metrics)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(metrics)) {
                JsonNode node = Json.MAPPER.readTree(line);
                if (node.path("step").asLong(-1) == 0 && node.has("val_loss")) {
                    return node.get("val_loss").asDouble();
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metrics + ": " + e.getMessage(), e);
        }
    }

    private static void writeManifest(FinetuneConfig config, TokenizedData data, Path parent, ObjectNode run,
                                      PackedWindows train, TrainerState end, Double initial, boolean stoppedEarly,
                                      boolean validated) {
        List<Manifest.FileEntry> inputs = new ArrayList<>();
        inputs.add(Manifest.FileEntry.of(Checkpoint.weightsFile(parent), null));
        for (Manifest.FileEntry e : data.manifest().outputs()) {
            inputs.add(new Manifest.FileEntry(data.dir().resolve(e.path()).toString(), e.bytes(), e.sha256()));
        }
        ObjectNode stats = Json.MAPPER.createObjectNode();
        stats.put("parent", parent.toString());
        stats.set("parent_step", run.get("parent_step"));
        stats.put("parent_sha256", run.path("parent_sha256").asText());
        stats.put("chat_template", run.path("chat_template").asText());
        stats.put("train_on", config.trainOn().wireName());
        stats.set("appended_special_tokens", run.get("appended_special_tokens"));
        stats.put("train_windows", train.count());
        stats.put("train_trained_tokens", train.trainedTokens());
        stats.put("step", end.step());
        stats.put("stopped_early", stoppedEarly);
        stats.put("tokens_seen", end.tokensSeen());
        stats.put("initial_val_loss", initial);
        stats.put("best_val_loss", end.bestValLoss());
        stats.put("best_step", end.bestStep());
        stats.put("train_loss", end.trainLoss());
        stats.put("elapsed_s", end.elapsedSeconds());
        List<Manifest.FileEntry> outputs = Trainer.checkpointWeights(config.output(), validated);
        Manifest.create("finetune", inputs, Json.MAPPER.valueToTree(config), stats, outputs).writeTo(config.output());
    }
}
