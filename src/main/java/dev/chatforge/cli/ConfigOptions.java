package dev.chatforge.cli;

import dev.chatforge.config.ConfigFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every stage command shares: a YAML file, overrides, and permission to replace outputs. */
public final class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE.yaml",
            description = "YAML config; one file may hold a section per stage (see configs/).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY.PATH=VALUE",
            description = "Override one config key, e.g. --set train.max_steps=200 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--force", description = "Replace existing outputs instead of refusing to.")
    boolean force;

    public ConfigFile load() {
        return ConfigFile.load(config, overrides).checkSections(Stages.names());
    }

    /** Adds an override the command built from one of its own options (e.g. --checkpoint). */
    public void addOverride(String key, Object value) {
        overrides.add(key + "=" + value);
    }
}
