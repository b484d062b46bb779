package dev.chatforge.cli;

import dev.chatforge.data.PrepareConfig;
import dev.chatforge.data.PrepareStage;
import picocli.CommandLine.Option;

/** `chatforge prepare`: the stage, plus {@code --dry-run}, which reports what it would do and writes nothing. */
public class PrepareCommand extends StageCommand {
    @Option(names = "--dry-run",
            description = "Read, clean, filter and count, and show a masked sample of what redaction would replace; write nothing.")
    boolean dryRun;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "20",
            description = "How many redactions the dry run shows (default: ${DEFAULT-VALUE}).")
    int samples;

    public PrepareCommand() {
        super("prepare");
    }

    @Override
    public Integer call() throws Exception {
        if (!dryRun) {
            return super.call();
        }
        String name = sectionName();
        PrepareConfig config = Stages.bind(options.load(), name, PrepareConfig.class, PrepareConfig.defaults());
        PrepareStage.dryRun(config, Math.max(0, samples));
        return 0;
    }
}
