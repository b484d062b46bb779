package dev.chatforge.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.Progress;
import dev.chatforge.io.StageInputException;
import dev.chatforge.io.StageOutput;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.tokenizer.TokenizerJson;
import dev.chatforge.tokenizer.TransformersFiles;
import dev.chatforge.tokenizer.VocabAndMerges;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code chatforge export --format gguf}: a checkpoint folder (chatforge's, or a Hugging Face
 * GPT-2 folder, F32/F16/BF16, one file or shards) as one GGUF file that llama.cpp, Ollama and LM
 * Studio load as architecture {@code gpt2}. Names, shapes and metadata are those of llama.cpp's
 * {@code convert_hf_to_gguf.py} (class GPT2Model) and gguf-py:
 * <ul>
 *   <li>tensors {@code token_embd}, {@code position_embd}, {@code blk.N.attn_norm / attn_qkv /
 *       attn_output / ffn_norm / ffn_up / ffn_down}, {@code output_norm}; the Conv1D weights, stored
 *       [in, out] by Hugging Face, are transposed to [out, in]; the LM head is tied to
 *       {@code token_embd} (llama.cpp reuses it when {@code output.weight} is absent), the causal-mask
 *       buffers are dropped;</li>
 *   <li>1-D tensors and {@code position_embd} stay F32, the other matrices take the requested type
 *       (Q8_0 falls back to F16 for a row length not a multiple of 32, as the converter does);</li>
 *   <li>the tokenizer: model {@code gpt2}, pre-tokenizer {@code gpt-2}, tokens, types (the added
 *       special tokens as control tokens), merges, bos/eos/padding = {@code <|endoftext|>},
 *       eot = {@code <|end|>}, {@code add_bos_token = true} (every chatforge document starts with
 *       {@code <|endoftext|>}), and the Jinja chat template of tokenizer_config.json.</li>
 * </ul>
 * Streamed: one tensor is in memory at a time (its floats and its encoded bytes, in buffers reused
 * for every tensor). The file is written under a temporary name and renamed when complete.
 */
public final class GgufExport {
    /** gguf-py's LlamaFileType for the model as a whole. */
    private static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;  // ALL_F32
            case F16 -> 1;  // MOSTLY_F16
            case Q8_0 -> 7; // MOSTLY_Q8_0
        };
    }

    /** gguf-py's TokenType. */
    static final int NORMAL = 1;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;

    /** What was written. */
    public record Result(Path output, long bytes, int tensors, GgmlType type) {}

    /** One tensor of the plan: where it comes from and how it is written. */
    record Planned(String gguf, StreamedTensors.Entry source, boolean transpose, long[] ne, GgmlType type) {}

    private static final String STAGE = "export";

    private GgufExport() {}

    /** Whether {@code file} starts with GGUF's magic, so --force may replace it (never a user's other file). */
    static boolean isGguf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    public static Result run(Path checkpoint, Path output, GgmlType type, boolean force, PrintStream err) {
        if (!Files.isDirectory(checkpoint)) {
            throw new StageInputException(checkpoint + ": checkpoint folder not found");
        }
        GPT2Config config = GPT2Config.read(checkpoint);
        Path tokenizerFile = VocabAndMerges.tokenizerOf(checkpoint);
        if (tokenizerFile == null) {
            throw new StageInputException(checkpoint + ": has no tokenizer.json (nor vocab.json and merges.txt); a GGUF "
                    + "file carries its tokenizer");
        }
        TokenizerJson tokenizer = TokenizerJson.read(tokenizerFile);
        if (!tokenizer.gpt2Split()) {
            throw new StageInputException(tokenizerFile + ": splits text other than GPT-2's pre-tokenizer (a normalizer, "
                    + "a prefix space or no regex); llama.cpp's gpt2 tokenizer would give other ids");
        }
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new StageInputException(tokenizerFile + ": has " + tokenizer.vocabSize() + " tokens, more than the model's "
                    + "vocab_size " + config.vocabSize() + " in " + checkpoint.resolve(GPT2Config.FILE_NAME));
        }
        StreamedTensors tensors = StreamedTensors.of(checkpoint);
        List<Planned> plan = plan(config, tensors, type, checkpoint);

        GgufWriter gguf = new GgufWriter();
        gguf.putString("general.architecture", "gpt2");
        gguf.putUint32("general.quantization_version", 2); // GGML_QUANT_VERSION
        gguf.putString("general.name", name(checkpoint));
        gguf.putUint32("general.file_type", fileType(type));
        gguf.putUint32("gpt2.context_length", config.nPositions());
        gguf.putUint32("gpt2.embedding_length", config.nEmbd());
        gguf.putUint32("gpt2.feed_forward_length", 4L * config.nEmbd());
        gguf.putUint32("gpt2.block_count", config.nLayer());
        gguf.putUint32("gpt2.attention.head_count", config.nHead());
        gguf.putFloat32("gpt2.attention.layer_norm_epsilon", (float) config.layerNormEpsilon());
        putTokenizer(gguf, tokenizer, config.vocabSize(), chatTemplate(checkpoint));
        for (Planned p : plan) {
            gguf.addTensor(p.gguf(), p.ne(), p.type());
        }
        if ("gelu".equals(config.activationFunction())) {
            err.println("export: note: " + checkpoint.resolve(GPT2Config.FILE_NAME) + " says activation_function gelu "
                    + "(exact); llama.cpp's GPT-2 computes the tanh approximation, so its logits differ slightly");
        }

        long largest = 0;
        long largestBytes = 0;
        long largestTransposed = 0;
        for (Planned p : plan) {
            largest = Math.max(largest, p.source().elements());
            largestBytes = Math.max(largestBytes, p.type().bytes(p.source().elements()));
            if (p.transpose()) {
                largestTransposed = Math.max(largestTransposed, p.source().elements());
            }
        }
        float[] values = new float[(int) largest];
        float[] transposed = new float[(int) largestTransposed];
        ByteBuffer bytes = ByteBuffer.allocate((int) largestBytes).order(ByteOrder.LITTLE_ENDIAN);
        // The output's owner: an output inside the checkpoint, or an existing file that is not a
        // GGUF file, is refused whatever the flags; the old file is replaced only once the new one is whole.
        try (StageOutput target = StageOutput.file(STAGE, output).reads(checkpoint)
                .recognizedBy(GgufExport::isGguf, "a GGUF file").force(force).open();
             Progress progress = new Progress("export", plan.size(), "tensors")) {
            try (BufferedOutputStream out = new BufferedOutputStream(Files.newOutputStream(target.path()), 1 << 16)) {
                int[] done = {0};
                gguf.write(out, info -> {
                    Planned p = plan.get(done[0]);
                    StreamedTensors.read(p.source(), values);
                    float[] data = values;
                    if (p.transpose()) {
                        transpose(values, (int) p.source().shape()[0], (int) p.source().shape()[1], transposed);
                        data = transposed;
                    }
                    bytes.clear();
                    encode(data, (int) info.elements(), info.type(), bytes);
                    bytes.flip();
                    progress.update(++done[0]);
                    return bytes;
                });
            }
            target.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        }
        long size;
        try {
            size = Files.size(output);
        } catch (IOException e) {
            size = -1;
        }
        err.printf(Locale.ROOT, "export: wrote %s: GGUF v3, gpt2, %s, %d tensors, %,d bytes%n", output,
                type.name().toLowerCase(Locale.ROOT), plan.size(), size);
        return new Result(output, size, plan.size(), type);
    }

    /** The tensors in llama.cpp's names and layout, checked against config.json's shape. */
    static List<Planned> plan(GPT2Config c, StreamedTensors tensors, GgmlType type, Path dir) {
        long e = c.nEmbd();
        List<Planned> plan = new ArrayList<>();
        add(plan, tensors, dir, "wte.weight", "token_embd.weight", false, type, c.vocabSize(), e);
        add(plan, tensors, dir, "wpe.weight", "position_embd.weight", false, type, c.nPositions(), e);
        for (int i = 0; i < c.nLayer(); i++) {
            String h = "h." + i + ".";
            String b = "blk." + i + ".";
            add(plan, tensors, dir, h + "ln_1.weight", b + "attn_norm.weight", false, type, e);
            add(plan, tensors, dir, h + "ln_1.bias", b + "attn_norm.bias", false, type, e);
            add(plan, tensors, dir, h + "attn.c_attn.weight", b + "attn_qkv.weight", true, type, e, 3 * e);
            add(plan, tensors, dir, h + "attn.c_attn.bias", b + "attn_qkv.bias", false, type, 3 * e);
            add(plan, tensors, dir, h + "attn.c_proj.weight", b + "attn_output.weight", true, type, e, e);
            add(plan, tensors, dir, h + "attn.c_proj.bias", b + "attn_output.bias", false, type, e);
            add(plan, tensors, dir, h + "ln_2.weight", b + "ffn_norm.weight", false, type, e);
            add(plan, tensors, dir, h + "ln_2.bias", b + "ffn_norm.bias", false, type, e);
            add(plan, tensors, dir, h + "mlp.c_fc.weight", b + "ffn_up.weight", true, type, e, 4 * e);
            add(plan, tensors, dir, h + "mlp.c_fc.bias", b + "ffn_up.bias", false, type, 4 * e);
            add(plan, tensors, dir, h + "mlp.c_proj.weight", b + "ffn_down.weight", true, type, 4 * e, e);
            add(plan, tensors, dir, h + "mlp.c_proj.bias", b + "ffn_down.bias", false, type, e);
        }
        add(plan, tensors, dir, "ln_f.weight", "output_norm.weight", false, type, e);
        add(plan, tensors, dir, "ln_f.bias", "output_norm.bias", false, type, e);
        return plan;
    }

    private static void add(List<Planned> plan, StreamedTensors tensors, Path dir, String hf, String gguf,
                            boolean transpose, GgmlType requested, long... shape) {
        StreamedTensors.Entry source = tensors.get(hf);
        if (source == null) {
            throw new StageInputException(dir + ": the weights have no tensor '" + hf + "' (nor 'transformer." + hf
                    + "'), which config.json's shape needs");
        }
        if (!java.util.Arrays.equals(source.shape(), shape)) {
            throw new StageInputException(source.file() + ": tensor '" + source.name() + "' has shape "
                    + java.util.Arrays.toString(source.shape()) + ", config.json's shape needs " + java.util.Arrays.toString(shape));
        }
        // ggml's ne is the reverse of the (transposed) numpy shape: ne[0] runs along a stored row.
        long[] ne = shape.length == 1 ? new long[] {shape[0]}
                : transpose ? new long[] {shape[0], shape[1]} : new long[] {shape[1], shape[0]};
        plan.add(new Planned(gguf, source, transpose, ne, typeFor(gguf, ne, requested)));
    }

    /** As convert_hf_to_gguf.py: 1-D tensors and position embeddings in F32; Q8_0 rows need 32 | ne[0]. */
    static GgmlType typeFor(String gguf, long[] ne, GgmlType requested) {
        if (ne.length == 1 || gguf.equals("position_embd.weight")) {
            return GgmlType.F32;
        }
        if (requested == GgmlType.Q8_0 && ne[0] % Q8_0.BLOCK != 0) {
            return GgmlType.F16;
        }
        return requested;
    }

    /** A [rows, cols] row-major matrix as [cols, rows]. */
    static void transpose(float[] in, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int col = 0; col < cols; col++) {
                out[col * rows + r] = in[base + col];
            }
        }
    }

    static void encode(float[] values, int count, GgmlType type, ByteBuffer out) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < count; i++) {
                    out.putFloat(values[i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out.putShort(Half.fromFloat(values[i]));
                }
            }
            case Q8_0 -> Q8_0.quantize(values, count, out);
        }
    }

    private static void putTokenizer(GgufWriter gguf, TokenizerJson tokenizer, int vocabSize, String chatTemplate) {
        List<String> tokens = new ArrayList<>(tokenizer.vocab());
        int[] types = new int[vocabSize];
        java.util.Arrays.fill(types, NORMAL);
        for (TokenizerJson.AddedToken t : tokenizer.addedTokens()) {
            types[t.id()] = t.special() ? CONTROL : USER_DEFINED;
        }
        // A model with more rows than tokens (a padded embedding): the converter's [PADn] tokens.
        for (int id = tokens.size(); id < vocabSize; id++) {
            tokens.add("[PAD" + id + "]");
            types[id] = UNUSED;
        }
        List<String> merges = new ArrayList<>(tokenizer.merges().size());
        tokenizer.merges().forEach(m -> merges.add(m[0] + " " + m[1]));
        gguf.putString("tokenizer.ggml.model", "gpt2");
        gguf.putString("tokenizer.ggml.pre", "gpt-2");
        gguf.putStrings("tokenizer.ggml.tokens", tokens);
        gguf.putInt32s("tokenizer.ggml.token_type", types);
        gguf.putStrings("tokenizer.ggml.merges", merges);
        int eot = tokenizer.vocab().indexOf(ChatTemplate.END_OF_TEXT);
        if (eot >= 0) {
            gguf.putUint32("tokenizer.ggml.bos_token_id", eot);
            gguf.putUint32("tokenizer.ggml.eos_token_id", eot);
            gguf.putUint32("tokenizer.ggml.padding_token_id", eot);
            // chatforge starts every document, prompt and chat with <|endoftext|>; llama.cpp adds it
            // (and strips it from a rendered chat template, which starts with it for transformers).
            gguf.putBool("tokenizer.ggml.add_bos_token", true);
            gguf.putBool("tokenizer.ggml.add_eos_token", false);
        }
        int end = tokenizer.vocab().indexOf(ChatTemplate.END_OF_TURN);
        if (end >= 0 && types[end] == CONTROL) {
            gguf.putUint32("tokenizer.ggml.eot_token_id", end); // a reply ends here
        }
        if (chatTemplate != null) {
            gguf.putString("tokenizer.chat_template", chatTemplate);
        }
    }

    private static String chatTemplate(Path dir) {
        Path file = dir.resolve(TransformersFiles.TOKENIZER_CONFIG);
        if (!Files.exists(file)) {
            return null;
        }
        try {
            JsonNode template = Json.MAPPER.readTree(file.toFile()).get("chat_template");
            return template != null && template.isTextual() ? template.asText() : null;
        } catch (IOException e) {
            throw new StageInputException(file + ": not valid JSON: " + e.getMessage());
        }
    }

    /** checkpoints/smoke-ft/best is "smoke-ft-best". */
    static String name(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        return parent == null || parent.getFileName() == null ? abs.getFileName().toString()
                : parent.getFileName() + "-" + abs.getFileName();
    }
}
