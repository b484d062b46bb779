package dev.chatforge.chat;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import dev.chatforge.tokenizer.ChatTemplate;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code generate:} section: continue a prompt with a checkpoint.
 *
 * @param checkpoint     checkpoint folder (config.json, model.safetensors, tokenizer.json)
 * @param prompt         text to continue; empty starts a fresh document after {@code <|endoftext|>}.
 *                       Ordinary text: {@code <|user|>} written in it is those eight characters
 * @param specialTokens  true: special-token strings in the prompt ({@code <|user|>}, {@code <|end|>},
 *                       ...) become the control tokens, for a prompt written in a chat template's
 *                       format on purpose; false (default): the prompt is text, as anything typed is
 * @param maxNewTokens   the most tokens to generate
 * @param temperature    0 = greedy (deterministic); higher = more varied
 * @param topK           sample among the k most likely tokens; 0 = off
 * @param topP           sample among the most likely tokens holding this much probability; 1 = off
 * @param seed           RNG seed: the same seed and settings give the same text
 * @param stop           stop strings: generation ends before the first one (not printed)
 * @param stopTokens     special tokens that end generation (not printed); null (the default): those
 *                       of the end of a document and the end of a chat turn the tokenizer has, so a
 *                       fine-tuned model stops after its reply and a Hub GPT-2 at <|endoftext|>
 * @param useCache       cache attention keys/values between steps (false only to compare)
 * @param device         auto (GPU when DJL sees one), cpu or gpu
 * @param printIds       true: stdout is one JSON object with the prompt's and the generated token ids
 *                       and the text, instead of the streamed text (to compare with another runtime)
 * @param precision      auto (bf16 where the processor multiplies it natively and the model is wide enough), fp32 or bf16
 */
public record GenerateConfig(
        Path checkpoint,
        String prompt,
        boolean specialTokens,
        int maxNewTokens,
        double temperature,
        int topK,
        double topP,
        long seed,
        List<String> stop,
        List<String> stopTokens,
        boolean useCache,
        String device,
        boolean printIds,
        String precision) implements StageConfig {

    public static GenerateConfig defaults() {
        return new GenerateConfig(null, "", false, 200, 0.8, 50, 0.95, 1337, List.of(),
                null, true, "auto", false, "auto");
    }

    @Override
    public void validate(Checks checks) {
        checks.required("checkpoint", checkpoint);
        checks.check(prompt != null, "prompt", "must be a string (empty for a fresh document)");
        SamplingChecks.validate(checks, maxNewTokens, temperature, topK, topP, stop, device, precision);
    }

    /** Stop tokens when none are configured: the end of a document and of a chat turn. */
    public static final List<String> DEFAULT_STOP_TOKENS = List.of(ChatTemplate.END_OF_TEXT, ChatTemplate.END_OF_TURN);

    public Sampler sampler() {
        return new Sampler(temperature, topK, topP, seed);
    }
}
