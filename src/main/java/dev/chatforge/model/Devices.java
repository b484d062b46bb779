package dev.chatforge.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.chatforge.config.ConfigException;
import dev.chatforge.platform.CpuThreads;

/** Resolves the {@code device: auto|cpu|gpu} setting shared by train, eval and finetune. */
public final class Devices {
    private Devices() {}

    public static final java.util.List<String> CHOICES = java.util.List.of("auto", "cpu", "gpu");

    /**
     * {@code auto}: the first GPU when DJL's engine sees one (a CUDA build of PyTorch), else the
     * CPU. {@code gpu} fails with a hint when none is visible.
     */
    public static Device resolve(String choice) {
        CpuThreads.chooseBeforeTheEngineStarts();
        int gpus = Engine.getInstance().getGpuCount();
        return switch (choice) {
            case "cpu" -> Device.cpu();
            case "auto" -> gpus > 0 ? Device.gpu() : Device.cpu();
            case "gpu" -> {
                if (gpus == 0) {
                    throw new ConfigException("device: gpu, but PyTorch sees no GPU; this build bundles the CPU natives "
                            + "(see README, 'Training on an NVIDIA GPU'), or use device: auto|cpu");
                }
                yield Device.gpu();
            }
            default -> throw new ConfigException("device must be one of " + CHOICES + ", got '" + choice + "'");
        };
    }
}
