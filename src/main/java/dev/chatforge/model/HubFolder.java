package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model the way checkpoints are found on the Hugging Face Hub, in each of the layouts in
 * the wild: OpenAI's {@code gpt2} upload (no {@code transformer.} prefix, {@code h.N.attn.bias}
 * causal-mask buffers, no {@code lm_head}), or transformers' own {@code save_pretrained}
 * (prefixed names, {@code attn.masked_bias}, a copy of the tied head); F32, F16 or BF16; one
 * file or shards with {@code model.safetensors.index.json}; {@code config.json} with the keys the
 * Hub's has (many chatforge ignores). For import tests without network and for
 * {@code chatforge init-model}.
 *
 * @param dtype        "F32", "F16" or "BF16"
 * @param prefix       name tensors {@code transformer.*} (save_pretrained) instead of bare (OpenAI's upload)
 * @param maskBuffers  include the {@code attn.bias} (and, prefixed, {@code attn.masked_bias}) buffers
 * @param headCopy     include {@code lm_head.weight} (a copy of wte, as save_pretrained stores a tied head)
 * @param shards       number of safetensors files (1: model.safetensors; more: an index and shards)
 */
public record HubFolder(String dtype, boolean prefix, boolean maskBuffers, boolean headCopy, int shards) {

    /**
     * The longest context whose {@code attn.bias} buffer (n_positions × n_positions values, one
     * array) fits a Java array of at most 2^31 - 1 values: floor(sqrt(2^31 - 1)).
     */
    public static final int MAX_MASKED_POSITIONS = 46_340;

    /** OpenAI's gpt2 repository: bare names, mask buffers, no head, one F32 file. */
    public static HubFolder openAiGpt2() {
        return new HubFolder("F32", false, true, false, 1);
    }

    public HubFolder {
        if (!List.of("F32", "F16", "BF16").contains(dtype)) {
            throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + dtype);
        }
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        }
    }

    /** Writes config.json and the weights of {@code model} into {@code dir} (created if needed). */
    public void write(GPT2 model, Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(GPT2Config.FILE_NAME), Json.MAPPER.writeValueAsString(hubConfig(model.config())) + "\n");
            Map<String, SafeTensors.Raw> tensors = tensors(model);
            if (shards == 1) {
                SafeTensors.writeRaw(dir.resolve(CheckpointWeights.SINGLE), tensors, Map.of());
                return;
            }
            List<String> names = new ArrayList<>(tensors.keySet());
            ObjectNode index = Json.MAPPER.createObjectNode();
            index.putObject("metadata").put("total_size", tensors.values().stream().mapToLong(t -> t.data().remaining()).sum());
            ObjectNode weightMap = index.putObject("weight_map");
            int per = (names.size() + shards - 1) / shards;
            for (int s = 0; s < shards; s++) {
                String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
                Map<String, SafeTensors.Raw> part = new LinkedHashMap<>();
                for (String name : names.subList(Math.min(names.size(), s * per), Math.min(names.size(), (s + 1) * per))) {
                    part.put(name, tensors.get(name));
                    weightMap.put(name, file);
                }
                SafeTensors.writeRaw(dir.resolve(file), part, Map.of());
            }
            Files.writeString(dir.resolve(CheckpointWeights.INDEX), Json.MAPPER.writeValueAsString(index) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The Hub's gpt2 config.json for this shape (keys chatforge reads and many it ignores). */
    public static ObjectNode hubConfig(GPT2Config c) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("activation_function", c.activationFunction());
        n.putArray("architectures").add("GPT2LMHeadModel");
        n.put("attn_pdrop", c.attnPdrop());
        n.put("embd_pdrop", c.embdPdrop());
        n.put("initializer_range", c.initializerRange());
        n.put("layer_norm_epsilon", c.layerNormEpsilon());
        n.put("model_type", "gpt2");
        n.put("n_ctx", c.nPositions());
        n.put("n_embd", c.nEmbd());
        n.put("n_head", c.nHead());
        n.put("n_layer", c.nLayer());
        n.put("n_positions", c.nPositions());
        n.put("resid_pdrop", c.residPdrop());
        n.putNull("summary_activation");
        n.put("summary_first_dropout", 0.1);
        n.put("summary_proj_to_labels", true);
        n.put("summary_type", "cls_index");
        n.put("summary_use_proj", true);
        n.putObject("task_specific_params").putObject("text-generation").put("do_sample", true).put("max_length", 50);
        n.put("vocab_size", c.vocabSize());
        return n;
    }

    private Map<String, SafeTensors.Raw> tensors(GPT2 model) {
        int positions = model.config().nPositions();
        Map<String, SafeTensors.Raw> out = new LinkedHashMap<>();
        try (NDManager scratch = model.manager().newSubManager()) {
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                String bare = e.getKey().substring(GPT2.PREFIX.length());
                out.put((prefix ? GPT2.PREFIX : "") + bare, raw(e.getValue(), scratch));
                if (maskBuffers && bare.endsWith(".ln_1.bias")) {
                    String block = bare.substring(0, bare.length() - "ln_1.bias".length());
                    out.put((prefix ? GPT2.PREFIX : "") + block + "attn.bias", raw(causalMask(scratch, positions), scratch));
                    if (prefix) {
                        out.put(GPT2.PREFIX + block + "attn.masked_bias", raw(scratch.create(-1e4f), scratch));
                    }
                }
            }
            if (headCopy) {
                out.put("lm_head.weight", raw(model.parameters().get(GPT2.PREFIX + "wte.weight"), scratch));
            }
        }
        return out;
    }

    /** HF's (1, 1, n, n) lower-triangular buffer of ones. */
    private static NDArray causalMask(NDManager manager, int n) {
        if (n > MAX_MASKED_POSITIONS) {
            throw new IllegalArgumentException("n_positions " + n + " is more than " + MAX_MASKED_POSITIONS
                    + ", the longest context whose causal-mask buffer (n_positions² values) fits one array");
        }
        float[] ones = new float[n * n];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(ones, i * n, i * n + i + 1, 1f);
        }
        return manager.create(ones, new Shape(1, 1, n, n));
    }

    private SafeTensors.Raw raw(NDArray array, NDManager scratch) {
        return switch (dtype) {
            case "BF16" -> SafeTensors.Raw.bf16(array.toFloatArray(), array.getShape().getShape());
            case "F16" -> {
                NDArray half = array.toType(DataType.FLOAT16, true);
                half.attach(scratch);
                yield SafeTensors.Raw.of(half);
            }
            default -> SafeTensors.Raw.of(array);
        };
    }
}
