package dev.chatforge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.HubFolder;
import dev.chatforge.model.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint folders laid out as the Hugging Face Hub has them load wherever a checkpoint is named. */
class HubCheckpointTest {
    static final GPT2Config CONFIG = new GPT2Config(50, 16, 32, 2, 4, "gelu_new", 0, 0, 0, 1e-5, 0.02);
    static GPT2 original;

    @TempDir
    Path tmp;

    @BeforeAll
    static void create() {
        original = GPT2.create(CONFIG, Device.cpu(), 11);
    }

    @AfterAll
    static void close() {
        original.close();
    }

    private Checkpoint loadWritten(HubFolder layout) {
        layout.write(original, tmp);
        return Checkpoint.load(tmp, Device.cpu());
    }

    /** Largest |a - b| / max(|a|, 2^-14) over every parameter (below 2^-14 F16 is subnormal). */
    private static double maxRelativeError(GPT2 loaded) {
        double worst = 0;
        for (Map.Entry<String, NDArray> e : original.parameters().entrySet()) {
            float[] a = e.getValue().toFloatArray();
            float[] b = loaded.parameters().get(e.getKey()).toFloatArray();
            assertEquals(a.length, b.length, e.getKey());
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 0x1p-14));
            }
        }
        return worst;
    }

    private static float[] logits(GPT2 model) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray tokens = step.create(new int[] {1, 7, 3, 49, 0, 12}, new Shape(1, 6));
            return model.forward(tokens, false).toFloatArray();
        }
    }

    @Test
    void openAiLayoutWithMaskBuffersAndNoTrainerStateLoadsExactly() {
        try (Checkpoint c = loadWritten(HubFolder.openAiGpt2())) {
            assertNull(c.state(), "a Hub folder has no trainer_state.json");
            assertEquals("gelu_new", c.config().activationFunction());
            assertEquals(0.0, maxRelativeError(c.model()));
            assertArrayEquals(logits(original), logits(c.model()));
        }
    }

    @Test
    void savePretrainedLayoutWithPrefixMaskedBiasAndTiedHeadCopyLoads() {
        try (Checkpoint c = loadWritten(new HubFolder("F32", true, true, true, 1))) {
            assertArrayEquals(logits(original), logits(c.model()));
        }
    }

    @Test
    void f16WeightsLoadAsFp32WithinHalfPrecision() {
        try (Checkpoint c = loadWritten(new HubFolder("F16", false, true, false, 1))) {
            double err = maxRelativeError(c.model());
            assertTrue(err > 0 && err <= Math.pow(2, -11), "F16 rounding error " + err);
        }
    }

    @Test
    void bf16WeightsAreWidenedInJavaToFp32() {
        try (Checkpoint c = loadWritten(new HubFolder("BF16", true, false, false, 1))) {
            double err = maxRelativeError(c.model());
            assertTrue(err > 0 && err <= Math.pow(2, -8), "BF16 rounding error " + err);
            float[] a = logits(original);
            float[] b = logits(c.model());
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 0.05, "logit " + i);
            }
        }
    }

    @Test
    void bf16BitsAreTheTopHalfOfFp32() throws IOException {
        float[] values = {1f, -2.5f, 0.1f, 3.0e-3f, 65504f};
        Path file = tmp.resolve("x.safetensors");
        Map<String, SafeTensors.Raw> tensors = new LinkedHashMap<>();
        tensors.put("x", SafeTensors.Raw.bf16(values, 5));
        SafeTensors.writeRaw(file, tensors, Map.of());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] back = SafeTensors.read(file, m).get("x").toFloatArray();
            assertArrayEquals(new float[] {1f, -2.5f, 0.10009765625f, 0.0030059814453125f, 65536f}, back);
        }
    }

    @Test
    void shardedWeightsWithIndexLoadExactly() throws IOException {
        try (Checkpoint c = loadWritten(new HubFolder("F32", true, true, false, 3))) {
            assertTrue(Files.exists(tmp.resolve("model.safetensors.index.json")));
            assertTrue(Files.exists(tmp.resolve("model-00003-of-00003.safetensors")));
            assertArrayEquals(logits(original), logits(c.model()));
            assertEquals(tmp.resolve("model.safetensors.index.json"), Checkpoint.weightsFile(tmp));
        }
    }

    @Test
    void anUntiedLmHeadIsRefusedNotDropped() {
        Map<String, SafeTensors.Raw> tensors = new LinkedHashMap<>();
        original.parameters().forEach((k, v) -> tensors.put(k, SafeTensors.Raw.of(v)));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray head = m.randomNormal(new Shape(CONFIG.vocabSize(), CONFIG.nEmbd()));
            tensors.put("lm_head.weight", SafeTensors.Raw.of(head));
            HubFolder.openAiGpt2().write(original, tmp); // config.json
            SafeTensors.writeRaw(tmp.resolve("model.safetensors"), tensors, Map.of());
        }
        StageInputException e = assertThrows(StageInputException.class, () -> Checkpoint.load(tmp, Device.cpu()));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("lm_head.weight differs"),
                e.getMessage());
    }

    private StageInputException refusedConfig(String key, Object value) throws IOException {
        HubFolder.openAiGpt2().write(original, tmp);
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(tmp.resolve("config.json").toFile());
        config.set(key, Json.MAPPER.valueToTree(value));
        Files.writeString(tmp.resolve("config.json"), config.toString());
        return assertThrows(StageInputException.class, () -> Checkpoint.load(tmp, Device.cpu()));
    }

    @Test
    void unimplementedConfigOptionsAreRefusedByName() throws IOException {
        for (String key : new String[] {"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"}) {
            StageInputException e = refusedConfig(key, true);
            assertTrue(e.getMessage().contains("config.json: key '" + key + "' is true"), e.getMessage());
        }
        assertTrue(refusedConfig("n_inner", 3 * CONFIG.nEmbd()).getMessage().contains("key 'n_inner' is 96"));
        assertTrue(refusedConfig("activation_function", "relu").getMessage()
                .contains("activation_function must be one of [gelu, gelu_new], got 'relu'"));
    }

    @Test
    void hubConfigExtrasAreIgnoredAndDefaultInnerSizeAccepted() throws IOException {
        HubFolder.openAiGpt2().write(original, tmp);
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(tmp.resolve("config.json").toFile());
        config.set("n_inner", Json.MAPPER.valueToTree(4 * CONFIG.nEmbd()));
        config.put("activation_function", "gelu_pytorch_tanh"); // transformers' name for the same tanh GELU
        config.put("layer_norm_epsilon", 1e-6);
        Files.writeString(tmp.resolve("config.json"), config.toString());
        GPT2Config read = GPT2Config.read(tmp);
        assertEquals("gelu_new", read.activationFunction());
        assertEquals(1e-6, read.layerNormEpsilon());
    }
}
