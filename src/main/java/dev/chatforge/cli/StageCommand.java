package dev.chatforge.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `chatforge <stage>`: runs one stage from its section of the config. */
@Command(mixinStandardHelpOptions = true)
public class StageCommand implements Callable<Integer> {
    private final String stage;

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Option(names = "--section", paramLabel = "NAME",
            description = "Config section to read (default: the stage's name; e.g. prepare/support).")
    String section;

    public StageCommand(String stage) {
        this.stage = stage;
    }

    /** Lets a subclass add overrides from its own options before the config is loaded. */
    protected void addOwnOverrides(ConfigOptions configOptions, String sectionName) {}

    @Override
    public Integer call() throws Exception {
        String name = sectionName();
        addOwnOverrides(options, name);
        Stages.runner(stage).run(options.load(), name, options.force);
        return 0;
    }

    /** The section this command runs: its stage's, or a --section the file has (checked, closest name suggested). */
    protected String sectionName() {
        if (section != null) {
            options.load().checkNamedSection(stage, section); // before this command's own options add to it
        }
        return section == null ? stage : section;
    }
}
