package dev.chatforge.model;

import ai.djl.Device;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.config.ConfigException;
import dev.chatforge.platform.Bf16Hardware;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The number format a run multiplies in, decided once per run ({@link #resolve}) and handed to the
 * model ({@link GPT2#usePrecision}).
 * <ul>
 *   <li>{@code fp32}: everything in fp32.</li>
 *   <li>{@code bf16}: mixed precision, as PyTorch's bf16 autocast: the matrix products (the Conv1D
 *       projections, attention, the tied LM head) take bf16 operands and accumulate in fp32;
 *       LayerNorm, softmax, the loss and AdamW stay fp32, and so do the weights, their gradients and
 *       the moments (the master copy). Checkpoints are fp32 either way.</li>
 * </ul>
 */
public enum Precision {
    FP32, BF16;

    /** Values of the {@code precision} key. */
    public static final List<String> CHOICES = List.of("auto", "fp32", "bf16");

    /**
     * {@code auto} picks bf16 only for models at least this wide: below it a product is too small for
     * bf16 to pay for casting its operands (the smoke model is 128 wide; GPT-2 124M is 768).
     */
    public static final int AUTO_MIN_WIDTH = 512;

    /** Allows {@code bf16} on a processor without native bf16 (tests run the bf16 path everywhere this way). */
    public static final String ALLOW_EMULATED_PROPERTY = "chatforge.bf16.allow_emulated";

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A precision and why it was chosen, for the terminal, metrics.jsonl and the manifest. */
    public record Choice(Precision precision, String setting, String reason) {
        public static Choice fp32(String reason) {
            return new Choice(FP32, "fp32", reason);
        }

        /** "bf16 (auto: this CPU has avx512_bf16 ...)". */
        public String describe() {
            return precision.wireName() + " (" + (setting.equals("auto") ? "auto: " : "") + reason + ")";
        }

        /** Adds {@code precision} and {@code precision_reason} to a JSON record. */
        public ObjectNode putInto(ObjectNode node) {
            return node.put("precision", precision.wireName()).put("precision_setting", setting)
                    .put("precision_reason", reason);
        }
    }

    /**
     * The precision for a run of {@code model} on {@code device}. {@code auto}: bf16 where the
     * hardware multiplies bf16 natively (CPU flag amx_bf16 or avx512_bf16; a GPU of compute
     * capability 8.0 or later) and the model is at least {@value #AUTO_MIN_WIDTH} wide, fp32
     * elsewhere. {@code bf16} without native support is refused: emulated, it is slower than fp32.
     */
    public static Choice resolve(String setting, Device device, GPT2Config model) {
        Optional<String> hardware = nativeBf16(device);
        String where = device.isGpu() ? "this GPU" : "this CPU";
        String lacks = device.isGpu() ? "this GPU (compute capability " + computeCapability(device) + ") has no native bf16 "
                + "(needs 8.0 or later)" : "this CPU has neither avx512_bf16 nor amx_bf16 in /proc/cpuinfo";
        switch (setting) {
            case "fp32" -> {
                return new Choice(FP32, setting, "set in the config");
            }
            case "bf16" -> {
                if (hardware.isEmpty() && !Boolean.getBoolean(ALLOW_EMULATED_PROPERTY)) {
                    throw new ConfigException("precision: bf16, but " + lacks + ": PyTorch would emulate bf16, slower "
                            + "than fp32; use precision: auto or fp32");
                }
                return new Choice(BF16, setting, hardware.map(h -> "set in the config; " + where + " has " + h)
                        .orElse("set in the config; emulated (" + lacks + ")"));
            }
            case "auto" -> {
                if (hardware.isEmpty()) {
                    return new Choice(FP32, setting, lacks + " (emulated bf16 is slower than fp32)");
                }
                if (model.nEmbd() < AUTO_MIN_WIDTH) {
                    return new Choice(FP32, setting, where + " has " + hardware.get() + ", but at n_embd " + model.nEmbd()
                            + " (< " + AUTO_MIN_WIDTH + ") the products are too small for bf16 to pay for its casts");
                }
                return new Choice(BF16, setting, where + " has " + hardware.get()
                        + ": matrix products in bf16, weights and optimizer in fp32");
            }
            default -> throw new ConfigException("precision must be one of " + CHOICES + ", got '" + setting + "'");
        }
    }

    /**
     * The precision for generation (generate, chat): as {@link #resolve}, except that {@code auto} on a
     * CPU stays fp32. Cached generation there runs in the plain-Java decoder, in fp32, the path
     * measured fastest where per-op dispatch outweighs the arithmetic; whether tensor ops over bf16
     * weights beat it for a large model is what {@code chatforge bench generate --precision bf16}
     * measures, so there bf16 is asked for, and auto never makes generation slower than fp32.
     */
    public static Choice resolveForGeneration(String setting, Device device, GPT2Config model) {
        if (setting.equals("auto") && !device.isGpu()) {
            return new Choice(FP32, setting, "on a CPU generation decodes with the plain-Java decoder in fp32; "
                    + "precision: bf16 decodes with tensor ops over bf16 weights (bench generate --precision bf16 compares them)");
        }
        return resolve(setting, device, model);
    }

    /**
     * The precision for training (train, finetune): as {@link #resolve}, except that {@code auto} on
     * a CPU stays fp32. Measured on an AMD Zen 5 with avx512_bf16 (GPT-2 124M, block 256, batch 4),
     * a bf16 training step ran at 0.96x fp32's tokens/s and fine-tuning at 0.99x: bf16 products are
     * 1.65x fp32's there, but the casts between them and the backward pass cost what they save
     * (the step's products alone took 34% of a bf16 step against ~70% of an fp32 one). Scoring,
     * forward passes only, is 2.26x faster in bf16, so eval keeps {@link #resolve}'s rule;
     * {@code precision: bf16} asks for bf16 training.
     */
    public static Choice resolveForTraining(String setting, Device device, GPT2Config model) {
        if (setting.equals("auto") && !device.isGpu()) {
            return new Choice(FP32, setting, "on a CPU bf16 training measured no faster than fp32 (0.96x for GPT-2 124M "
                    + "with avx512_bf16); precision: bf16 trains in bf16 (bench train --precision bf16 compares them)");
        }
        return resolve(setting, device, model);
    }

    /** The feature that gives {@code device} native bf16 products, if it has one. */
    public static Optional<String> nativeBf16(Device device) {
        if (!device.isGpu()) {
            return Bf16Hardware.cpuFlag();
        }
        String capability = computeCapability(device);
        try {
            return Integer.parseInt(capability) >= 80 ? Optional.of("compute capability " + capability.charAt(0) + "."
                    + capability.substring(1)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String computeCapability(Device device) {
        try {
            return ai.djl.util.cuda.CudaUtils.getComputeCapability(device.getDeviceId());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "unknown";
        }
    }
}
