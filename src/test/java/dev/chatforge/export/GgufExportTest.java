package dev.chatforge.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.cli.Main;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.SafeTensors;
import dev.chatforge.tokenizer.BpeTrainer;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.tokenizer.TokenizerJson;
import dev.chatforge.tokenizer.TransformersFiles;
import dev.chatforge.tokenizer.WordCounter;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GGUF export read back with an independent parser: header, metadata, tensor infos, alignment,
 * tensor data (the Conv1D transposes, f16 rounding, q8_0 blocks against a computation of their
 * own), for a chatforge checkpoint and a Hub GPT-2 folder in F16 with its buffers and head copy.
 */
class GgufExportTest {
    static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    /** A chatforge-layout checkpoint: config.json, model.safetensors (transformer.*), tokenizer files. */
    static Map<String, float[]> chatforgeFolder(Path folder, int embd, int layers, int positions) throws Exception {
        Files.createDirectories(folder);
        WordCounter counter = new WordCounter(ChatTemplate.SPECIAL_TOKENS);
        counter.add("Where is my order? It ships today, my friend. Refunds take five days; thanks!");
        Path tokenizer = folder.resolve("tokenizer.json");
        Files.write(tokenizer, BpeTrainer.train(counter.counts(), 300, 1, ChatTemplate.SPECIAL_TOKENS).toTokenizerJson());
        int vocab = TokenizerJson.read(tokenizer).vocabSize();
        GPT2Config.of(vocab, positions, embd, layers, 2).write(folder);
        TransformersFiles.write(folder, tokenizer, positions, ChatTemplate.TURNS);
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, SafeTensors.Raw> raw = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(vocab, positions, embd, layers).entrySet()) {
            float[] v = random(e.getKey(), e.getValue());
            values.put(e.getKey(), v);
            raw.put("transformer." + e.getKey(), f32(v, e.getValue()));
        }
        SafeTensors.writeRaw(folder.resolve("model.safetensors"), raw, Map.of());
        return values;
    }

    static Map<String, long[]> shapes(int vocab, int positions, int c, int layers) {
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("wte.weight", new long[] {vocab, c});
        s.put("wpe.weight", new long[] {positions, c});
        for (int i = 0; i < layers; i++) {
            String h = "h." + i + ".";
            s.put(h + "ln_1.weight", new long[] {c});
            s.put(h + "ln_1.bias", new long[] {c});
            s.put(h + "attn.c_attn.weight", new long[] {c, 3L * c});
            s.put(h + "attn.c_attn.bias", new long[] {3L * c});
            s.put(h + "attn.c_proj.weight", new long[] {c, c});
            s.put(h + "attn.c_proj.bias", new long[] {c});
            s.put(h + "ln_2.weight", new long[] {c});
            s.put(h + "ln_2.bias", new long[] {c});
            s.put(h + "mlp.c_fc.weight", new long[] {c, 4L * c});
            s.put(h + "mlp.c_fc.bias", new long[] {4L * c});
            s.put(h + "mlp.c_proj.weight", new long[] {4L * c, c});
            s.put(h + "mlp.c_proj.bias", new long[] {c});
        }
        s.put("ln_f.weight", new long[] {c});
        s.put("ln_f.bias", new long[] {c});
        return s;
    }

    static float[] random(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        Random r = new Random(name.hashCode());
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.3);
        }
        if (v.length >= 64) {
            v[5] = 0;          // zeros, a tie-prone value and a whole zero block for q8_0
            v[7] = -1.5f;
            java.util.Arrays.fill(v, 32, 64, 0f);
        }
        return v;
    }

    static SafeTensors.Raw f32(float[] v, long[] shape) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return new SafeTensors.Raw("F32", shape, b.flip());
    }

    static SafeTensors.Raw f16(float[] v, long[] shape) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putShort(Half.fromFloat(x));
        }
        return new SafeTensors.Raw("F16", shape, b.flip());
    }

    /** Hugging Face Conv1D [in, out] as ggml wants it: [out, in] row-major. */
    static float[] transposed(float[] w, long[] shape) {
        int in = (int) shape[0];
        int out = (int) shape[1];
        float[] t = new float[w.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                t[o * in + i] = w[i * out + o];
            }
        }
        return t;
    }

    @Test
    void f32ExportHasLlamaCppsLayoutMetadataAndTransposedWeights() throws Exception {
        Path ckpt = dir.resolve("run/best");
        int c = 64;
        Map<String, float[]> w = chatforgeFolder(ckpt, c, 2, 16);
        Path out = dir.resolve("model.gguf");
        GgufExport.run(ckpt, out, GgmlType.F32, false, QUIET);
        GgufFileReader gguf = new GgufFileReader(out);

        assertEquals(3, gguf.version);
        Map<String, Object> kv = gguf.kv;
        assertEquals("gpt2", kv.get("general.architecture"));
        assertEquals("run-best", kv.get("general.name"));
        assertEquals(0L, kv.get("general.file_type"));
        assertEquals(16L, kv.get("gpt2.context_length"));
        assertEquals((long) c, kv.get("gpt2.embedding_length"));
        assertEquals(4L * c, kv.get("gpt2.feed_forward_length"));
        assertEquals(2L, kv.get("gpt2.block_count"));
        assertEquals(2L, kv.get("gpt2.attention.head_count"));
        assertEquals(1e-5f, (Float) kv.get("gpt2.attention.layer_norm_epsilon"));

        TokenizerJson tokenizer = TokenizerJson.read(ckpt.resolve("tokenizer.json"));
        assertEquals("gpt2", kv.get("tokenizer.ggml.model"));
        assertEquals("gpt-2", kv.get("tokenizer.ggml.pre"));
        assertEquals(tokenizer.vocab(), kv.get("tokenizer.ggml.tokens"));
        List<?> types = (List<?>) kv.get("tokenizer.ggml.token_type");
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            boolean special = ChatTemplate.SPECIAL_TOKENS.contains(tokenizer.vocab().get(id));
            assertEquals(special ? 3 : 1, types.get(id), "type of " + tokenizer.vocab().get(id));
        }
        List<String> merges = new ArrayList<>();
        tokenizer.merges().forEach(m -> merges.add(m[0] + " " + m[1]));
        assertEquals(merges, kv.get("tokenizer.ggml.merges"));
        long eot = tokenizer.vocab().indexOf("<|endoftext|>");
        assertEquals(eot, kv.get("tokenizer.ggml.bos_token_id"));
        assertEquals(eot, kv.get("tokenizer.ggml.eos_token_id"));
        assertEquals(eot, kv.get("tokenizer.ggml.padding_token_id"));
        assertEquals((long) tokenizer.vocab().indexOf("<|end|>"), kv.get("tokenizer.ggml.eot_token_id"));
        assertEquals(true, kv.get("tokenizer.ggml.add_bos_token"));
        JsonNode config = Json.MAPPER.readTree(ckpt.resolve("tokenizer_config.json").toFile());
        assertEquals(config.path("chat_template").asText(), kv.get("tokenizer.chat_template"));

        // Names and order as convert_hf_to_gguf.py's GPT2Model; no output.weight (tied), no mask buffers.
        List<String> names = new ArrayList<>();
        gguf.tensors.forEach(t -> names.add(t.name()));
        assertEquals(List.of("token_embd.weight", "position_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_norm.bias",
                "blk.0.attn_qkv.weight", "blk.0.attn_qkv.bias", "blk.0.attn_output.weight", "blk.0.attn_output.bias",
                "blk.0.ffn_norm.weight", "blk.0.ffn_norm.bias", "blk.0.ffn_up.weight", "blk.0.ffn_up.bias",
                "blk.0.ffn_down.weight", "blk.0.ffn_down.bias"), names.subList(0, 14));
        assertEquals(List.of("output_norm.weight", "output_norm.bias"), names.subList(names.size() - 2, names.size()));
        assertEquals(2 + 12 * 2 + 2, names.size());

        // Data: aligned, in order, the file ends after the last tensor's padding.
        long expected = 0;
        for (GgufFileReader.Tensor t : gguf.tensors) {
            assertEquals(0, t.type(), t.name());
            assertEquals(expected, t.offset(), t.name());
            assertEquals(0, t.offset() % 32);
            expected = (t.offset() + GgufFileReader.elements(t) * 4 + 31) / 32 * 32;
        }
        assertEquals(gguf.dataStart + expected, Files.size(out));

        int vocab = tokenizer.vocabSize();
        assertArrayEquals(new long[] {c, vocab}, gguf.tensor("token_embd.weight").ne());
        assertArrayEquals(w.get("wte.weight"), gguf.f32(gguf.tensor("token_embd.weight")));
        assertArrayEquals(new long[] {c, 16}, gguf.tensor("position_embd.weight").ne());
        assertArrayEquals(w.get("wpe.weight"), gguf.f32(gguf.tensor("position_embd.weight")));
        for (String[] pair : new String[][] {{"attn.c_attn", "attn_qkv"}, {"attn.c_proj", "attn_output"},
                {"mlp.c_fc", "ffn_up"}, {"mlp.c_proj", "ffn_down"}}) {
            long[] shape = shapes(vocab, 16, c, 2).get("h.1." + pair[0] + ".weight");
            GgufFileReader.Tensor t = gguf.tensor("blk.1." + pair[1] + ".weight");
            assertArrayEquals(new long[] {shape[0], shape[1]}, t.ne(), t.name()); // ne = [in, out]: rows of length in
            assertArrayEquals(transposed(w.get("h.1." + pair[0] + ".weight"), shape), gguf.f32(t), t.name());
            assertArrayEquals(w.get("h.1." + pair[0] + ".bias"), gguf.f32(gguf.tensor("blk.1." + pair[1] + ".bias")));
        }
        assertArrayEquals(w.get("h.1.ln_2.weight"), gguf.f32(gguf.tensor("blk.1.ffn_norm.weight")));
        assertArrayEquals(w.get("ln_f.bias"), gguf.f32(gguf.tensor("output_norm.bias")));
    }

    @Test
    void f16ExportRoundsMatricesToNearestAndKeepsVectorsAndPositionsInF32() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        int c = 64;
        Map<String, float[]> w = chatforgeFolder(ckpt, c, 1, 16);
        Path out = dir.resolve("model-f16.gguf");
        GgufExport.run(ckpt, out, GgmlType.F16, false, QUIET);
        GgufFileReader gguf = new GgufFileReader(out);
        assertEquals(1L, gguf.kv.get("general.file_type"));
        assertEquals(0, gguf.tensor("position_embd.weight").type());
        assertEquals(0, gguf.tensor("blk.0.attn_qkv.bias").type());
        GgufFileReader.Tensor qkv = gguf.tensor("blk.0.attn_qkv.weight");
        assertEquals(1, qkv.type());
        float[] want = transposed(w.get("h.0.attn.c_attn.weight"), new long[] {c, 3L * c});
        ByteBuffer data = gguf.data(qkv, want.length * 2L);
        for (int i = 0; i < want.length; i++) {
            short h = data.getShort();
            assertEquals(Half.fromFloat(want[i]), h);
            // Nearest: no neighbouring half is closer to the value.
            double got = Half.toFloat(h);
            for (int step : new int[] {-1, 1}) {
                double other = Half.toFloat((short) (h + step));
                assertTrue(Double.isNaN(other) || Math.abs(got - want[i]) <= Math.abs(other - want[i]), want[i] + " -> " + got);
            }
        }
    }

    @Test
    void halfPrecisionOfKnownValues() {
        assertEquals((short) 0x3C00, Half.fromFloat(1f));
        assertEquals((short) 0xC000, Half.fromFloat(-2f));
        assertEquals((short) 0x7BFF, Half.fromFloat(65504f));
        assertEquals((short) 0x7C00, Half.fromFloat(65520f)); // rounds up to infinity
        assertEquals((short) 0x3555, Half.fromFloat(1f / 3));
        assertEquals((short) 0x2E66, Half.fromFloat(0.1f));
        assertEquals((short) 0x0001, Half.fromFloat(0x1p-24f));
        assertEquals((short) 0x0000, Half.fromFloat(0x1p-26f));
        assertEquals((short) 0x0400, Half.fromFloat(0x1p-14f));
        assertEquals((short) 0x3C00, Half.fromFloat(1f + 0x1p-11f)); // a tie goes to even
        assertEquals((short) 0x3C02, Half.fromFloat(1f + 3 * 0x1p-11f));
        for (int bits = 0; bits < 0x7C00; bits++) {
            assertEquals((short) bits, Half.fromFloat(Half.toFloat((short) bits)));
        }
    }

    @Test
    void q8_0BlocksMatchAnIndependentComputation() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        int c = 64;
        Map<String, float[]> w = chatforgeFolder(ckpt, c, 1, 16);
        Path out = dir.resolve("model-q8.gguf");
        GgufExport.run(ckpt, out, GgmlType.Q8_0, false, QUIET);
        GgufFileReader gguf = new GgufFileReader(out);
        assertEquals(7L, gguf.kv.get("general.file_type"));
        assertEquals(2L, gguf.kv.get("general.quantization_version"));
        assertEquals(0, gguf.tensor("position_embd.weight").type());
        for (String[] pair : new String[][] {{"wte.weight", "token_embd.weight"}, {"h.0.mlp.c_fc.weight", "blk.0.ffn_up.weight"}}) {
            GgufFileReader.Tensor t = gguf.tensor(pair[1]);
            assertEquals(8, t.type(), t.name());
            float[] x = pair[0].equals("wte.weight") ? w.get(pair[0]) : transposed(w.get(pair[0]), new long[] {c, 4L * c});
            ByteBuffer data = gguf.data(t, x.length / 32 * 34L);
            for (int b = 0; b < x.length; b += 32) {
                double amax = 0;
                for (int i = b; i < b + 32; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                }
                float d = (float) (amax / 127);
                float id = d == 0 ? 0 : (float) (1.0 / d);
                short scale = data.getShort();
                assertEquals(Half.fromFloat(d), scale, t.name() + " block " + b / 32);
                for (int i = b; i < b + 32; i++) {
                    double v = (double) (float) ((double) x[i] * id);
                    long q = (long) (Math.signum(v) * Math.floor(Math.abs(v) + 0.5));
                    byte got = data.get();
                    assertEquals(q, got, t.name() + " value " + i + " = " + x[i]);
                    assertTrue(Math.abs(got) <= 127);
                    // Dequantised, every value is within half a step (plus the fp16 scale's rounding).
                    double back = got * (double) Half.toFloat(scale);
                    assertTrue(Math.abs(back - x[i]) <= 0.5 * d + 127 * Math.abs(Half.toFloat(scale) - d) + 1e-7,
                            x[i] + " -> " + back);
                }
            }
        }
        assertEquals(0, gguf.data(gguf.tensor("token_embd.weight"), 34 * 2).getShort(34)); // the all-zero block: scale 0
    }

    @Test
    void q8_0FallsBackToF16ForRowsNotAMultipleOf32() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        chatforgeFolder(ckpt, 48, 1, 16); // rows of 48 (token_embd, attn_qkv, ffn_up) cannot be Q8_0; ffn_down's 192 can
        Path out = dir.resolve("model-q8.gguf");
        GgufExport.run(ckpt, out, GgmlType.Q8_0, false, QUIET);
        GgufFileReader gguf = new GgufFileReader(out);
        assertEquals(1, gguf.tensor("token_embd.weight").type());
        assertEquals(1, gguf.tensor("blk.0.attn_qkv.weight").type());
        assertEquals(8, gguf.tensor("blk.0.ffn_down.weight").type());
        assertEquals(0, gguf.tensor("blk.0.ffn_down.bias").type());
    }

    /** A Hub GPT-2 folder: bare names, F16, attn.bias buffers and a copy of the head; no chat tokens. */
    @Test
    void hubF16FolderExportsItsValuesWithoutBuffersOrHead() throws Exception {
        Path hub = dir.resolve("gpt2");
        Files.createDirectories(hub);
        List<String> onlyEot = List.of(ChatTemplate.END_OF_TEXT);
        WordCounter counter = new WordCounter(onlyEot);
        counter.add("Where is my order? It ships today, my friend.");
        Files.write(hub.resolve("tokenizer.json"), BpeTrainer.train(counter.counts(), 280, 1, onlyEot).toTokenizerJson());
        int vocab = TokenizerJson.read(hub.resolve("tokenizer.json")).vocabSize();
        int c = 32;
        Files.writeString(hub.resolve("config.json"), Json.MAPPER.writeValueAsString(
                dev.chatforge.model.HubFolder.hubConfig(new GPT2Config(vocab, 16, c, 1, 2, "gelu_new", 0.1, 0.1, 0.1, 1e-5, 0.02))));
        Map<String, SafeTensors.Raw> raw = new LinkedHashMap<>();
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(vocab, 16, c, 1).entrySet()) {
            float[] v = random(e.getKey(), e.getValue());
            w.put(e.getKey(), v);
            raw.put(e.getKey(), f16(v, e.getValue()));
        }
        raw.put("h.0.attn.bias", f16(new float[16 * 16], new long[] {1, 1, 16, 16}));
        raw.put("lm_head.weight", f16(w.get("wte.weight"), new long[] {vocab, c}));
        SafeTensors.writeRaw(hub.resolve("model.safetensors"), raw, Map.of());

        Path out = dir.resolve("gpt2.gguf");
        GgufExport.run(hub, out, GgmlType.F32, false, QUIET);
        GgufFileReader gguf = new GgufFileReader(out);
        assertEquals(2 + 12 + 2, gguf.tensors.size());
        assertFalse(gguf.kv.containsKey("tokenizer.chat_template"));
        assertFalse(gguf.kv.containsKey("tokenizer.ggml.eot_token_id"));
        float[] widened = new float[w.get("h.0.mlp.c_proj.weight").length];
        float[] src = transposed(w.get("h.0.mlp.c_proj.weight"), new long[] {4L * c, c});
        for (int i = 0; i < src.length; i++) {
            widened[i] = Half.toFloat(Half.fromFloat(src[i]));
        }
        assertArrayEquals(widened, gguf.f32(gguf.tensor("blk.0.ffn_down.weight")));
        List<?> types = (List<?>) gguf.kv.get("tokenizer.ggml.token_type");
        assertEquals(3, types.get(TokenizerJson.read(hub.resolve("tokenizer.json")).vocab().indexOf("<|endoftext|>")));
    }

    @Test
    void anExistingOutputIsKeptWithoutForceAndReplacedWithItButAUsersFileNever() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        chatforgeFolder(ckpt, 32, 1, 8);
        Path out = dir.resolve("out/model.gguf");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "mine");
        // A file that is not a GGUF file is the user's: refused without --force, and with it.
        for (boolean force : new boolean[] {false, true}) {
            String err = exportExpectingFailure(ckpt, out, force);
            assertTrue(err.contains(out.toString()), err);
            assertEquals("mine", Files.readString(out));
        }
        Files.delete(out);
        assertEquals(0, Main.run("export", "--checkpoint", ckpt.toString(), "--output", out.toString(), "--type", "f16"));
        byte[] first = Files.readAllBytes(out);
        exportExpectingFailure(ckpt, out, false);
        assertArrayEquals(first, Files.readAllBytes(out));
        assertEquals(0, Main.run("export", "--checkpoint", ckpt.toString(), "--output", out.toString(), "--type", "q8_0",
                "--force"));
        assertEquals(3, new GgufFileReader(out).version);
        assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(out)));
        try (var files = Files.list(out.getParent())) { // no temporary copy left, only the free lock
            assertEquals(List.of("model.gguf", "model.gguf.lock"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(2, Main.run("export", "--checkpoint", ckpt.toString(), "--output", out.toString(), "--type", "q4"));
        // An output inside the checkpoint it reads is refused, --force or not.
        String inside = exportExpectingFailure(ckpt, ckpt.resolve("model.gguf"), true);
        assertTrue(inside.contains(ckpt.toString()), inside);
        assertFalse(Files.exists(ckpt.resolve("model.gguf")));
    }

    /** Runs export into {@code out}, expects exit 1, returns what it printed on stderr. */
    private static String exportExpectingFailure(Path ckpt, Path out, boolean force) {
        PrintStream saved = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true));
            List<String> args = new ArrayList<>(List.of("export", "--checkpoint", ckpt.toString(), "--format",
                    "gguf", "--output", out.toString()));
            if (force) {
                args.add("--force");
            }
            assertEquals(1, Main.run(args.toArray(String[]::new)), err.toString());
        } finally {
            System.setErr(saved);
        }
        return err.toString();
    }

    @Test
    void aMissingTensorIsNamed() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        chatforgeFolder(ckpt, 32, 2, 8);
        Files.writeString(ckpt.resolve("config.json"), Files.readString(ckpt.resolve("config.json"))
                .replace("\"n_layer\" : 2", "\"n_layer\" : 3"));
        StageInputException e = assertThrows(StageInputException.class,
                () -> GgufExport.run(ckpt, dir.resolve("x.gguf"), GgmlType.F16, false, QUIET));
        assertTrue(e.getMessage().contains("h.2.ln_1.weight"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }
}
