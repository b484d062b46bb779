package dev.chatforge.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.tokenizer.TransformersFiles;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.CheckpointWeights;
import dev.chatforge.model.SafeTensors;
import dev.chatforge.model.VocabularyGrowth;
import dev.chatforge.tokenizer.VocabAndMerges;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint folder, self-contained so that {@code eval}, {@code finetune} and {@code chat}
 * need only its path:
 * <pre>
 *   config.json             model config, Hugging Face GPT-2 key names
 *   model.safetensors       weights, Hugging Face GPT-2 names and (Conv1D) layout
 *   tokenizer.json          the tokenizer the model was trained with
 *   tokenizer_config.json   for transformers: tokenizer class, special tokens, Jinja chat_template
 *   special_tokens_map.json, generation_config.json   (likewise; see tokenizer.TransformersFiles)
 *   README.md               the model card (ModelCard): what the model is, how it was trained and is loaded
 *   trainer_state.json      step, tokens seen, learning rate, losses, data-sampler position, seed
 *   optimizer.safetensors   AdamW moments (latest checkpoints only; what resume needs)
 *   metrics.jsonl           the metrics up to this step
 * </pre>
 * The folder is written under a temporary name and renamed into place, so a kill at any
 * moment leaves the previous checkpoint whole.
 *
 * @param dir       where it was loaded from
 * @param config    the model config
 * @param model     the model with the checkpoint's weights; closing the checkpoint closes it
 * @param tokenizer the checkpoint's tokenizer.json, or null when it has none
 * @param state     the trainer state, or null for a folder without one (e.g. an imported model)
 */
public record Checkpoint(Path dir, GPT2Config config, GPT2 model, Path tokenizer, TrainerState state)
        implements AutoCloseable {

    public static final String WEIGHTS = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String TOKENIZER = "tokenizer.json";

    /** Loads config, weights, tokenizer path and trainer state of a checkpoint folder onto {@code device}. */
    public static Checkpoint load(Path dir, Device device) {
        return load(dir, device, java.util.function.UnaryOperator.identity());
    }

    /** The same, with the model's config changed by {@code adjust} (e.g. fine-tuning with another dropout). */
    public static Checkpoint load(Path dir, Device device, java.util.function.UnaryOperator<GPT2Config> adjust) {
        if (!Files.isDirectory(dir)) {
            throw new StageInputException(dir + ": checkpoint folder not found (train one with `chatforge train`, "
                    + "or point to a folder with config.json and model.safetensors)");
        }
        GPT2Config config = adjust.apply(GPT2Config.read(dir));
        Path weights = weightsFile(dir);
        GPT2 model;
        try (NDManager loading = NDManager.newBaseManager(device)) {
            Map<String, NDArray> tensors = CheckpointWeights.read(dir, loading);
            model = GPT2.fromTensors(config, device, tensors);
        } catch (IllegalArgumentException e) {
            throw new StageInputException(weights + ": does not match " + dir.resolve(GPT2Config.FILE_NAME) + ": "
                    + e.getMessage(), e);
        }
        // A Hub folder may have vocab.json + merges.txt instead of tokenizer.json (older repositories).
        Path tokenizer = VocabAndMerges.tokenizerOf(dir);
        TrainerState state = Files.exists(dir.resolve(TrainerState.FILE_NAME)) ? TrainerState.read(dir) : null;
        return new Checkpoint(dir, config, model, tokenizer, state);
    }

    /** The file that identifies a checkpoint's weights: model.safetensors, or a sharded model's index. */
    public static Path weightsFile(Path dir) {
        Path single = dir.resolve(WEIGHTS);
        Path index = dir.resolve(CheckpointWeights.INDEX);
        return !Files.exists(single) && Files.exists(index) ? index : single;
    }

    /**
     * This checkpoint with room for {@code vocabSize} token ids: the token embedding (the tied LM
     * head) grown by rows that are the mean of the existing ones, for special tokens appended to
     * its tokenizer; itself when it has that many already. A grown copy closes this one.
     */
    public Checkpoint withVocabSize(int vocabSize) {
        if (config.vocabSize() >= vocabSize) {
            return this;
        }
        try (this) {
            System.err.printf("%s: token embedding grown from %d to %d rows for appended special tokens (new rows: "
                    + "the mean of the existing ones)%n", dir, config.vocabSize(), vocabSize);
            GPT2 grown = VocabularyGrowth.grow(model, vocabSize);
            return new Checkpoint(dir, grown.config(), grown, tokenizer, state);
        }
    }

    /** Restores the AdamW moments saved beside the weights (for resuming). */
    public static void loadOptimizer(Path dir, AdamW optimizer, long steps, Device device) {
        Path file = dir.resolve(OPTIMIZER);
        if (!Files.exists(file)) {
            throw new StageInputException(file + ": not found; " + dir + " cannot be resumed (only latest/ keeps the "
                    + "optimizer state)");
        }
        try (NDManager loading = NDManager.newBaseManager(device)) {
            optimizer.restore(SafeTensors.read(file, loading), steps);
        } catch (IllegalArgumentException e) {
            throw new StageInputException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a checkpoint to {@code target} atomically (temporary folder, then rename; an
     * existing checkpoint there is replaced). {@code optimizer}, {@code tokenizerFile} and
     * {@code metricsFile} may be null to leave those files out.
     */
    public static void save(Path target, GPT2 model, AdamW optimizer, TrainerState state, Path tokenizerFile,
                            Path metricsFile) {
        Path tmp = AtomicFiles.newTempDirectory(target);
        try {
            model.config().write(tmp);
            SafeTensors.write(tmp.resolve(WEIGHTS), model.parameters(), orderedMetadata("step", Long.toString(state.step())));
            if (optimizer != null) {
                SafeTensors.write(tmp.resolve(OPTIMIZER), optimizer.moments(),
                        orderedMetadata("step", Long.toString(state.step()), "optimizer", "adamw"));
            }
            if (tokenizerFile != null) {
                Files.copy(tokenizerFile, tmp.resolve(TOKENIZER));
                // tokenizer_config.json (with the Jinja chat template) etc.: the folder loads in transformers as is.
                JsonNode template = state.run() == null ? null : state.run().get("chat_template");
                ChatTemplate chat = template == null ? ChatTemplate.TURNS : ChatTemplate.parse(template.asText());
                boolean exported = TransformersFiles.write(tmp, tmp.resolve(TOKENIZER), model.config().nPositions(), chat);
                // The model card the Hub shows for the folder.
                Files.writeString(tmp.resolve(ModelCard.FILE_NAME), ModelCard.markdown(runName(target), model.config(), state,
                        exported ? chat : null));
            }
            if (metricsFile != null && Files.exists(metricsFile)) {
                Files.copy(metricsFile, tmp.resolve(MetricsLog.FILE_NAME));
            }
            state.write(tmp);
            AtomicFiles.publishDirectory(tmp, target, true);
        } catch (IOException e) {
            AtomicFiles.deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            AtomicFiles.deleteQuietly(tmp);
            throw e;
        }
    }

    /** Copies a complete checkpoint folder to {@code target} atomically, without the optimizer state. */
    public static void copyWithoutOptimizer(Path source, Path target) {
        Path tmp = AtomicFiles.newTempDirectory(target);
        try (var files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.equals(WEIGHTS)) {
                    linkOrCopy(f, tmp.resolve(name));
                } else if (!name.equals(OPTIMIZER)) {
                    Files.copy(f, tmp.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            AtomicFiles.publishDirectory(tmp, target, true);
        } catch (IOException e) {
            AtomicFiles.deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * The weights as a hard link where the file system has them: chatforge never changes a
     * checkpoint's file in place (every save writes a new folder and renames it over the old), so
     * best/ can share latest/'s bytes; for GPT-2 124M that is 500 MB not written again at every
     * improvement. The small files are copied: a hand edit of one must not change the other.
     */
    private static void linkOrCopy(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /** The run a checkpoint belongs to, by name: checkpoints/smoke-ft/best is "smoke-ft (best)". */
    private static String runName(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        return parent == null || parent.getFileName() == null ? abs.getFileName().toString()
                : parent.getFileName() + " (" + abs.getFileName() + ")";
    }

    /** Header metadata in a fixed order, so the same checkpoint is the same bytes (Map.of's order varies). */
    private static Map<String, String> orderedMetadata(String... keysAndValues) {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            metadata.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return metadata;
    }

    @Override
    public void close() {
        model.close();
    }
}
