package dev.chatforge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `chatforge chat --checkpoint DIR [--persona "…"]`: the chatbot with its own options. */
@Command(mixinStandardHelpOptions = true)
public class ChatCommand extends StageCommand {
    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--persona", paramLabel = "TEXT", description = "System turn that conditions every reply.")
    String persona;

    @Option(names = "--template", paramLabel = "auto|turns|inst",
            description = "Chat template (default: the one the checkpoint was fine-tuned with).")
    String template;

    public ChatCommand() {
        super("chat");
    }

    @Override
    protected void addOwnOverrides(ConfigOptions options, String section) {
        sampling.addTo(options, section);
        SamplingOptions.put(options, section, "persona", persona);
        SamplingOptions.put(options, section, "template", template);
    }
}
