package dev.chatforge.chat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.StageInputException;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.tokenizer.ChatTokenizer;
import dev.chatforge.train.Checkpoint;
import dev.chatforge.model.Devices;
import dev.chatforge.model.Precision;
import java.nio.file.Path;

/**
 * A checkpoint ready to generate with: the model, its own tokenizer, and what its training said
 * about conversations. Close it to free the model's native memory and the tokenizer.
 */
public final class LoadedModel implements AutoCloseable {
    private final Checkpoint checkpoint;
    private final ChatTokenizer tokenizer;
    private final Precision.Choice precision;

    private LoadedModel(Checkpoint checkpoint, ChatTokenizer tokenizer, Precision.Choice precision) {
        this.checkpoint = checkpoint;
        this.tokenizer = tokenizer;
        this.precision = precision;
    }

    /**
     * Loads {@code dir} on {@code device}, computing in {@code precision} (auto | fp32 | bf16,
     * decided here once for generation ({@link Precision#resolveForGeneration}) and said on stderr).
     */
    public static LoadedModel load(Path dir, String device, String precision) {
        return load(dir, device, precision, false);
    }

    /**
     * Loads {@code dir} to score text with whole forward passes (eval's benchmarks), not to decode
     * token by token: {@code precision} is decided as eval and train decide it ({@link Precision#resolve}),
     * and a bf16 model keeps one bf16 copy of its weights.
     */
    public static LoadedModel loadForScoring(Path dir, String device, String precision) {
        return load(dir, device, precision, true);
    }

    private static LoadedModel load(Path dir, String device, String precision, boolean scoring) {
        Device resolved = Devices.resolve(device);
        Checkpoint checkpoint = Checkpoint.load(dir, resolved);
        try {
            Precision.Choice choice = scoring ? Precision.resolve(precision, resolved, checkpoint.config())
                    : Precision.resolveForGeneration(precision, resolved, checkpoint.config());
            System.err.println("precision " + choice.describe());
            checkpoint.model().usePrecision(choice.precision());
            if (scoring) {
                checkpoint.model().keepBf16Weights();
            }
            if (checkpoint.tokenizer() == null) {
                throw new StageInputException(dir.resolve(Checkpoint.TOKENIZER) + ": not found; a checkpoint needs its "
                        + "tokenizer.json to turn text into ids");
            }
            ChatTokenizer tokenizer = ChatTokenizer.load(checkpoint.tokenizer());
            if (tokenizer.vocabSize() != checkpoint.config().vocabSize()) {
                tokenizer.close();
                throw new StageInputException(checkpoint.tokenizer() + ": has " + tokenizer.vocabSize() + " tokens, "
                        + dir.resolve("config.json") + " says vocab_size " + checkpoint.config().vocabSize());
            }
            return new LoadedModel(checkpoint, tokenizer, choice);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    public Path dir() {
        return checkpoint.dir();
    }

    /** The precision the model computes in, and why it was chosen. */
    public Precision.Choice precision() {
        return precision;
    }

    public ChatTokenizer tokenizer() {
        return tokenizer;
    }

    /** The model itself, for scoring (benchmarks). */
    public dev.chatforge.model.GPT2 model() {
        return checkpoint.model();
    }

    /** The training step the checkpoint was saved at, or -1 when it does not say. */
    public long step() {
        return checkpoint.state() == null ? -1 : checkpoint.state().step();
    }

    public NextTokenModel nextTokenModel() {
        return new GPT2NextTokenModel(checkpoint.model());
    }

    public int blockSize() {
        return checkpoint.config().nPositions();
    }

    /**
     * The chat template the checkpoint was fine-tuned with, or null when it was not fine-tuned
     * on conversations (a pre-trained model: it never learned to close a turn).
     */
    public ChatTemplate fineTunedTemplate() {
        JsonNode run = checkpoint.state() == null ? null : checkpoint.state().run();
        if (run == null || !"finetune".equals(run.path("stage").asText())) {
            return null;
        }
        return ChatTemplate.parse(run.path("chat_template").asText("turns"));
    }

    @Override
    public void close() {
        tokenizer.close();
        checkpoint.close();
    }
}
