package dev.chatforge.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The shape of a GPT-2 model, with the key names of Hugging Face's GPT-2 {@code config.json}
 * (snake_case on disk: {@code vocab_size}, {@code n_positions}, {@code n_embd}, ...), so a
 * checkpoint's config loads in {@code transformers.GPT2Config} as is.
 *
 * @param vocabSize          number of token ids (the tokenizer's vocabulary)
 * @param nPositions         longest context the model sees (learned position embeddings)
 * @param nEmbd              width of the residual stream
 * @param nLayer             number of transformer blocks
 * @param nHead              attention heads per block; must divide {@code nEmbd}
 * @param activationFunction "gelu" (exact, erf; DJL's native op, our default) or "gelu_new"
 *                           (tanh approximation, what OpenAI's GPT-2 weights were trained with)
 * @param residPdrop         dropout on each block's attention and MLP output
 * @param embdPdrop          dropout on the summed token + position embeddings
 * @param attnPdrop          dropout on the attention probabilities
 * @param layerNormEpsilon   LayerNorm epsilon (GPT-2: 1e-5)
 * @param initializerRange   standard deviation of the normal initialisation (GPT-2: 0.02)
 */
public record GPT2Config(
        int vocabSize,
        int nPositions,
        int nEmbd,
        int nLayer,
        int nHead,
        String activationFunction,
        double residPdrop,
        double embdPdrop,
        double attnPdrop,
        double layerNormEpsilon,
        double initializerRange) {

    public static final String FILE_NAME = "config.json";
    public static final List<String> ACTIVATIONS = List.of("gelu", "gelu_new");

    /** OpenAI's GPT-2 vocabulary size, used by the published presets until a tokenizer says otherwise. */
    public static final int GPT2_VOCAB = 50257;

    private static final Map<String, GPT2Config> PRESETS = new LinkedHashMap<>();

    static {
        // The published sizes (vocab 50,257, context 1,024) ...
        PRESETS.put("gpt2", of(GPT2_VOCAB, 1024, 768, 12, 12));          // 124M
        PRESETS.put("gpt2-medium", of(GPT2_VOCAB, 1024, 1024, 24, 16));  // 350M
        PRESETS.put("gpt2-large", of(GPT2_VOCAB, 1024, 1280, 36, 20));   // 774M
        PRESETS.put("gpt2-xl", of(GPT2_VOCAB, 1024, 1600, 48, 25));      // 1558M
        // ... and small ones that train in minutes on a laptop CPU (vocab comes from the tokenizer).
        PRESETS.put("tiny", of(2048, 128, 128, 4, 4));    // ~1M parameters with a 2k vocab
        PRESETS.put("small", of(8192, 256, 384, 6, 6));   // ~14M parameters with an 8k vocab
    }

    public GPT2Config {
        if (vocabSize <= 0 || nPositions <= 0 || nEmbd <= 0 || nLayer <= 0 || nHead <= 0) {
            throw new IllegalArgumentException("vocab_size, n_positions, n_embd, n_layer and n_head must be > 0, got "
                    + vocabSize + ", " + nPositions + ", " + nEmbd + ", " + nLayer + ", " + nHead);
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("n_embd (" + nEmbd + ") must be a multiple of n_head (" + nHead + ")");
        }
        if (!ACTIVATIONS.contains(activationFunction)) {
            throw new IllegalArgumentException("activation_function must be one of " + ACTIVATIONS + ", got '"
                    + activationFunction + "'");
        }
        for (double p : new double[] {residPdrop, embdPdrop, attnPdrop}) {
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("dropout probabilities must be in [0, 1), got " + p);
            }
        }
    }

    /** A config with GPT-2's defaults for everything but the sizes; no dropout (pre-training default, as nanoGPT). */
    public static GPT2Config of(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead) {
        return new GPT2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, "gelu", 0.0, 0.0, 0.0, 1e-5, 0.02);
    }

    /** A named preset ("gpt2", "gpt2-medium", "tiny", "small", ...). */
    public static GPT2Config preset(String name) {
        GPT2Config config = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (config == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "' (presets: " + PRESETS.keySet() + ")");
        }
        return config;
    }

    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    public int headSize() {
        return nEmbd / nHead;
    }

    public GPT2Config withVocabSize(int v) {
        return new GPT2Config(v, nPositions, nEmbd, nLayer, nHead, activationFunction, residPdrop, embdPdrop, attnPdrop,
                layerNormEpsilon, initializerRange);
    }

    public GPT2Config withSizes(int positions, int embd, int layers, int heads) {
        return new GPT2Config(vocabSize, positions, embd, layers, heads, activationFunction, residPdrop, embdPdrop,
                attnPdrop, layerNormEpsilon, initializerRange);
    }

    /** The same dropout everywhere, as nanoGPT's single {@code dropout} setting. */
    public GPT2Config withDropout(double p) {
        return new GPT2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, activationFunction, p, p, p,
                layerNormEpsilon, initializerRange);
    }

    public GPT2Config withActivation(String activation) {
        return new GPT2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, activation, residPdrop, embdPdrop, attnPdrop,
                layerNormEpsilon, initializerRange);
    }

    /**
     * Parameters in the model; as in the GPT-2 paper and nanoGPT the tied LM head is counted
     * once (it is {@code wte}).
     */
    public long parameterCount() {
        long c = nEmbd;
        long perBlock = 2 * (2 * c)            // ln_1, ln_2
                + c * 3 * c + 3 * c            // attn.c_attn
                + c * c + c                    // attn.c_proj
                + c * 4 * c + 4 * c            // mlp.c_fc
                + 4 * c * c + c;               // mlp.c_proj
        return (long) vocabSize * c + (long) nPositions * c + nLayer * perBlock + 2 * c;
    }

    /**
     * The Hugging Face {@code config.json}: our fields under their names plus what
     * {@code transformers} needs to pick the class ({@code model_type}, {@code architectures}).
     */
    public ObjectNode toJson() {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("model_type", "gpt2");
        node.putArray("architectures").add("GPT2LMHeadModel");
        ObjectNode fields = Json.MAPPER.valueToTree(this);
        node.setAll(fields);
        node.put("n_ctx", nPositions);
        node.putNull("n_inner");
        node.put("tie_word_embeddings", true);
        node.put("scale_attn_weights", true);
        return node;
    }

    public void write(Path dir) throws IOException {
        Files.writeString(dir.resolve(FILE_NAME), Json.MAPPER.writeValueAsString(toJson()) + "\n");
    }

    /** Reads a {@code config.json} (ours or Hugging Face's: keys we do not use are ignored). */
    public static GPT2Config read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new StageInputException(file + ": not found; is " + dir + " a checkpoint folder (written by `chatforge train`)?");
        } catch (IOException e) {
            throw new StageInputException(file + ": not valid JSON: " + e.getMessage());
        }
        try {
            String type = node.path("model_type").asText("gpt2");
            if (!type.equals("gpt2")) {
                throw new StageInputException(file + ": model_type is '" + type + "', only 'gpt2' is supported");
            }
            int nEmbd = required(node, "n_embd", file).asInt();
            refuseUnimplemented(node, file, nEmbd);
            return new GPT2Config(
                    required(node, "vocab_size", file).asInt(),
                    required(node, "n_positions", file).asInt(),
                    nEmbd,
                    required(node, "n_layer", file).asInt(),
                    required(node, "n_head", file).asInt(),
                    activation(node.path("activation_function").asText("gelu_new")), // HF's default when absent
                    node.path("resid_pdrop").asDouble(0.1),
                    node.path("embd_pdrop").asDouble(0.1),
                    node.path("attn_pdrop").asDouble(0.1),
                    node.path("layer_norm_epsilon").asDouble(1e-5),
                    node.path("initializer_range").asDouble(0.02));
        } catch (IllegalArgumentException e) {
            throw new StageInputException(file + ": " + e.getMessage());
        }
    }

    /**
     * Hugging Face GPT-2 options that change what the model computes and that chatforge's GPT2
     * does not implement: loading such a checkpoint would silently give another model.
     */
    private static void refuseUnimplemented(JsonNode node, Path file, int nEmbd) {
        JsonNode inner = node.path("n_inner");
        if (!inner.isMissingNode() && !inner.isNull() && inner.asInt() != 4 * nEmbd) {
            throw new StageInputException(file + ": key 'n_inner' is " + inner + "; chatforge's GPT-2 has an MLP of "
                    + "4 × n_embd (" + 4 * nEmbd + ") only");
        }
        for (String key : List.of("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention")) {
            if (node.path(key).asBoolean(false)) {
                throw new StageInputException(file + ": key '" + key + "' is true; chatforge's GPT-2 does not implement "
                        + "it, so these weights would compute something else");
            }
        }
        if (!node.path("scale_attn_weights").asBoolean(true)) {
            throw new StageInputException(file + ": key 'scale_attn_weights' is false; chatforge's GPT-2 always scales "
                    + "attention by 1/sqrt(head size)");
        }
    }

    /** Hugging Face's other names for the tanh approximation (the same function as gelu_new). */
    private static String activation(String name) {
        return switch (name) {
            case "gelu_pytorch_tanh", "gelu_fast" -> "gelu_new";
            default -> name;
        };
    }

    private static JsonNode required(JsonNode node, String key, Path file) {
        JsonNode value = node.get(key);
        if (value == null || !value.isNumber()) {
            throw new StageInputException(file + ": key '" + key + "' is missing or not a number");
        }
        return value;
    }
}
