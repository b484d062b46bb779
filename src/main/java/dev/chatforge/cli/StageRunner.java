package dev.chatforge.cli;

import dev.chatforge.config.ConfigFile;

/** Runs one stage from a section of a config file; shared by the stage commands and `pipeline`. */
@FunctionalInterface
public interface StageRunner {
    /**
     * @param file    the loaded config with overrides applied
     * @param section the section to read ("train", "prepare/support")
     * @param force   replace existing outputs (--force)
     */
    void run(ConfigFile file, String section, boolean force) throws Exception;
}
