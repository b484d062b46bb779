package dev.chatforge.chat;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code chat:} section: talk to a checkpoint.
 *
 * @param checkpoint   checkpoint folder, normally the output of finetune
 * @param persona      system turn that conditions every reply; kept when old turns are dropped
 * @param template     auto (the one the checkpoint was fine-tuned with), turns or inst
 * @param maxNewTokens the most tokens a reply may take
 * @param temperature  0 = greedy (deterministic); higher = more varied
 * @param topK         sample among the k most likely tokens; 0 = off
 * @param topP         sample among the most likely tokens holding this much probability; 1 = off
 * @param seed         RNG seed: the same seed, settings and messages give the same replies
 * @param stop         extra stop strings (a reply always ends at the end-of-turn token)
 * @param device       auto (GPU when DJL sees one), cpu or gpu
 * @param precision    auto (bf16 where the processor multiplies it natively and the model is wide enough), fp32 or bf16
 */
public record ChatConfig(
        Path checkpoint,
        String persona,
        String template,
        int maxNewTokens,
        double temperature,
        int topK,
        double topP,
        long seed,
        List<String> stop,
        String device,
        String precision) implements StageConfig {

    public static ChatConfig defaults() {
        return new ChatConfig(null, null, "auto", 128, 0.7, 50, 0.9, 1337, List.of(), "auto", "auto");
    }

    @Override
    public void validate(Checks checks) {
        checks.required("checkpoint", checkpoint);
        checks.oneOf("template", template, List.of("auto", "turns", "inst"));
        SamplingChecks.validate(checks, maxNewTokens, temperature, topK, topP, stop, device, precision);
    }

    public Sampler sampler() {
        return new Sampler(temperature, topK, topP, seed);
    }
}
