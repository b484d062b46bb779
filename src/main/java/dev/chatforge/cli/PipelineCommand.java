package dev.chatforge.cli;

import dev.chatforge.config.ConfigException;
import dev.chatforge.config.ConfigFile;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** `chatforge pipeline`: runs the sections listed under `pipeline:` in order, stopping at the first failure. */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Run the stages the config's `pipeline:` list names, in order (e.g. prepare, tokenize, train, eval).")
public class PipelineCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Override
    public Integer call() throws Exception {
        ConfigFile file = options.load();
        List<String> sections = file.pipeline();
        if (sections.isEmpty()) {
            throw new ConfigException(file.origin() + ": no 'pipeline:' list; name the sections to run, e.g. pipeline: [prepare, tokenize, train, eval]");
        }
        for (String section : sections) {
            String stage = ConfigFile.stageOf(section);
            if (!Stages.isStage(stage)) {
                throw new ConfigException(file.origin() + ": key 'pipeline': '" + section + "' is not a stage section");
            }
        }
        for (int i = 0; i < sections.size(); i++) {
            String section = sections.get(i);
            System.err.printf("== pipeline %d/%d: %s%n", i + 1, sections.size(), section);
            Stages.runner(ConfigFile.stageOf(section)).run(file, section, options.force);
        }
        return 0;
    }
}
