package dev.chatforge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `chatforge generate --checkpoint DIR --prompt "…"`: the generate stage with its own options. */
@Command(mixinStandardHelpOptions = true)
public class GenerateCommand extends StageCommand {
    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text to continue (default: a fresh document).")
    String prompt;

    @Option(names = "--special-tokens", description = "Read special-token strings in the prompt (<|user|>, <|end|>, ...) "
            + "as control tokens, for a prompt written in the chat template's format (default: the prompt is plain text).")
    boolean specialTokens;

    @Option(names = "--print-ids", description = "Print one JSON object instead of the text: the prompt's token ids "
            + "(prompt_ids), the generated ids (ids, without the stop token), their log-probabilities under the model "
            + "(log_probs), the text and why it stopped.")
    boolean printIds;

    @Option(names = "--no-cache", description = "Recompute every position at every step (slow; for comparison).")
    boolean noCache;

    public GenerateCommand() {
        super("generate");
    }

    @Override
    protected void addOwnOverrides(ConfigOptions options, String section) {
        sampling.addTo(options, section);
        SamplingOptions.put(options, section, "prompt", prompt);
        if (specialTokens) {
            SamplingOptions.put(options, section, "special_tokens", true);
        }
        if (printIds) {
            SamplingOptions.put(options, section, "print_ids", true);
        }
        if (noCache) {
            SamplingOptions.put(options, section, "use_cache", false);
        }
    }
}
