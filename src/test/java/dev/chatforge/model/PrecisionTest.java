package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.chatforge.config.ConfigException;
import org.junit.jupiter.api.Test;

/** How a run's precision is decided: once, from the setting, the hardware and the model's width. */
class PrecisionTest {
    private static final GPT2Config NARROW = GPT2Config.of(2048, 64, 128, 4, 4);
    private static final GPT2Config GPT2_124M = GPT2Config.preset("gpt2");

    @Test
    void fp32IsAlwaysFp32AndSaysItWasSet() {
        Precision.Choice choice = Precision.resolve("fp32", Device.cpu(), GPT2_124M);
        assertEquals(Precision.FP32, choice.precision());
        assertEquals("fp32", choice.putInto(dev.chatforge.io.Json.MAPPER.createObjectNode()).path("precision").asText());
    }

    @Test
    void autoFollowsTheHardwareAndTheModelsWidth() {
        boolean nativeBf16 = Precision.nativeBf16(Device.cpu()).isPresent();
        Precision.Choice wide = Precision.resolve("auto", Device.cpu(), GPT2_124M);
        assertEquals(nativeBf16 ? Precision.BF16 : Precision.FP32, wide.precision(), wide.describe());
        Precision.Choice narrow = Precision.resolve("auto", Device.cpu(), NARROW);
        assertEquals(Precision.FP32, narrow.precision(), "a 128-wide model stays fp32 everywhere");
        assertTrue(narrow.reason().contains(nativeBf16 ? "n_embd 128" : "neither avx512_bf16 nor amx_bf16"), narrow.reason());
        assertTrue(wide.describe().startsWith(wide.precision().wireName() + " (auto: "), wide.describe());
    }

    @Test
    void generationOnACpuStaysFp32UnderAutoAndFollowsAnExplicitSetting() {
        Precision.Choice auto = Precision.resolveForGeneration("auto", Device.cpu(), GPT2_124M);
        assertEquals(Precision.FP32, auto.precision(), "the Java decoder's path: never slower than today");
        assertTrue(auto.reason().contains("plain-Java decoder"), auto.reason());
        assertEquals(Precision.FP32, Precision.resolveForGeneration("fp32", Device.cpu(), GPT2_124M).precision());
        if (Precision.nativeBf16(Device.cpu()).isPresent()) {
            assertEquals(Precision.BF16, Precision.resolveForGeneration("bf16", Device.cpu(), GPT2_124M).precision());
        }
    }

    @Test
    void trainingOnACpuStaysFp32UnderAutoAndFollowsAnExplicitSetting() {
        // measured: bf16 training no faster than fp32 on an avx512_bf16 CPU, so auto must not pick it
        Precision.Choice auto = Precision.resolveForTraining("auto", Device.cpu(), GPT2_124M);
        assertEquals(Precision.FP32, auto.precision());
        assertTrue(auto.reason().contains("no faster than fp32"), auto.reason());
        assertEquals(Precision.FP32, Precision.resolveForTraining("fp32", Device.cpu(), GPT2_124M).precision());
        if (Precision.nativeBf16(Device.cpu()).isPresent()) {
            assertEquals(Precision.BF16, Precision.resolveForTraining("bf16", Device.cpu(), GPT2_124M).precision());
        }
    }

    @Test
    void bf16WithoutNativeSupportIsRefusedWithTheReason() {
        if (Precision.nativeBf16(Device.cpu()).isPresent()) {
            assertEquals(Precision.BF16, Precision.resolve("bf16", Device.cpu(), NARROW).precision(),
                    "bf16 set explicitly runs even on a narrow model");
            return;
        }
        ConfigException e = assertThrows(ConfigException.class, () -> Precision.resolve("bf16", Device.cpu(), GPT2_124M));
        assertTrue(e.getMessage().contains("neither avx512_bf16 nor amx_bf16") && e.getMessage().contains("slower than fp32"),
                e.getMessage());
    }
}
