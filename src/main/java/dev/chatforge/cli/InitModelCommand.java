package dev.chatforge.cli;

import ai.djl.Device;
import dev.chatforge.config.ConfigException;
import dev.chatforge.io.StageOutput;
import dev.chatforge.model.CheckpointWeights;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.HubFolder;
import dev.chatforge.tokenizer.TokenizerJson;
import dev.chatforge.tokenizer.VocabAndMerges;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `chatforge init-model`: a randomly initialised GPT-2 written as a Hugging Face Hub folder
 * (config.json as the Hub writes it, model.safetensors in OpenAI's gpt2 layout, the tokenizer).
 * What CI fine-tunes in place of a downloaded gpt2 (no network there), and a GPT-2 124M-shaped
 * folder for measuring a fine-tune of that size.
 */
@Command(name = "init-model", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised GPT-2 as a Hugging Face Hub folder (config.json, model.safetensors, tokenizer.json).")
public class InitModelCommand implements Callable<Integer> {
    private static final String TOKENIZER = "tokenizer.json";

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder to write.")
    Path output;

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
            description = "tokenizer.json (or vocab.json with merges.txt beside it); sets vocab_size and is copied in.")
    Path tokenizer;

    @Option(names = "--preset", defaultValue = "gpt2", paramLabel = "NAME",
            description = "Model shape: gpt2 (124M), gpt2-medium, tiny, small, ... (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--n-positions", paramLabel = "N", description = "Context length (default: the preset's).")
    Integer positions;

    @Option(names = "--dtype", defaultValue = "F32", paramLabel = "T", description = "F32, F16 or BF16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--seed", defaultValue = "1337", description = "Initialisation seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Replace an existing output folder.")
    boolean force;

    @Override
    public Integer call() {
        if (positions != null && (positions < 1 || positions > HubFolder.MAX_MASKED_POSITIONS)) {
            throw new ConfigException("--n-positions " + positions + ": must be between 1 and " + HubFolder.MAX_MASKED_POSITIONS
                    + ": the Hub layout stores an n_positions × n_positions causal-mask buffer (attn.bias) per block, "
                    + "and one array holds at most 2^31 - 1 values");
        }
        // The tokenizer first: it sets vocab_size, so no message quotes the preset's, and its
        // problems are named under the path the user gave.
        byte[] tokenizerJson = VocabAndMerges.tokenizerJsonBytes(tokenizer);
        Path given = Files.isRegularFile(tokenizer.resolve("tokenizer.json")) ? tokenizer.resolve("tokenizer.json") : tokenizer;
        int vocabSize = TokenizerJson.parse(tokenizerJson, given).vocabSize();
        GPT2Config config;
        HubFolder layout;
        try {
            config = GPT2Config.preset(preset).withVocabSize(vocabSize);
            if (positions != null) {
                config = config.withSizes(positions, config.nEmbd(), config.nLayer(), config.nHead());
            }
            // Hub GPT-2 checkpoints use the tanh GELU; a folder that stands in for one does too.
            config = new GPT2Config(config.vocabSize(), config.nPositions(), config.nEmbd(), config.nLayer(),
                    config.nHead(), "gelu_new", config.residPdrop(), config.embdPdrop(), config.attnPdrop(),
                    config.layerNormEpsilon(), config.initializerRange());
            layout = new HubFolder(dtype.toUpperCase(Locale.ROOT), false, true, false, 1);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        Path tokenizerRead = tokenizer.getFileName().toString().equals(VocabAndMerges.VOCAB)
                ? tokenizer.resolveSibling(VocabAndMerges.MERGES) : null;
        try (StageOutput out = StageOutput.folder("init-model", output).owns(GPT2Config.FILE_NAME, TOKENIZER,
                        CheckpointWeights.SINGLE, CheckpointWeights.INDEX, "model-*-of-*.safetensors")
                .reads(tokenizer, tokenizerRead).force(force).open()) {
            Path tmp = out.path();
            Files.write(tmp.resolve(TOKENIZER), tokenizerJson);
            try (GPT2 model = GPT2.create(config, Device.cpu(), seed)) {
                layout.write(model, tmp);
            }
            out.commit();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        }
        System.err.printf(Locale.ROOT, "init-model: wrote %s: %s, %,d parameters, vocab %,d, context %d, %s%n", output,
                preset, config.parameterCount(), config.vocabSize(), config.nPositions(), layout.dtype());
        return 0;
    }
}
