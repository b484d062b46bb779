package dev.chatforge.cli;

import dev.chatforge.config.ConfigFile;
import dev.chatforge.config.StageConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The registry of stages by name: how each binds its config section and runs. One place, so a
 * stage command and the pipeline run a stage the same way.
 */
public final class Stages {
    private Stages() {}

    private static final Map<String, StageRunner> RUNNERS = new LinkedHashMap<>();

    static {
        RUNNERS.put("prepare", notYet("prepare"));
        RUNNERS.put("tokenize", notYet("tokenize"));
        RUNNERS.put("train", (file, section, force) -> dev.chatforge.train.TrainStage.run(
                bind(file, section, dev.chatforge.train.TrainConfig.class, dev.chatforge.train.TrainConfig.defaults()), force));
        RUNNERS.put("eval", (file, section, force) -> dev.chatforge.eval.EvalStage.run(
                bind(file, section, dev.chatforge.eval.EvalConfig.class, dev.chatforge.eval.EvalConfig.defaults()), force));
        RUNNERS.put("finetune", (file, section, force) -> dev.chatforge.finetune.FinetuneStage.run(
                bind(file, section, dev.chatforge.finetune.FinetuneConfig.class,
                        dev.chatforge.finetune.FinetuneConfig.defaults()), force));
        RUNNERS.put("generate", (file, section, force) -> dev.chatforge.chat.GenerateStage.run(
                bind(file, section, dev.chatforge.chat.GenerateConfig.class, dev.chatforge.chat.GenerateConfig.defaults()),
                System.out, System.err));
        RUNNERS.put("chat", (file, section, force) -> dev.chatforge.chat.ChatStage.run(
                bind(file, section, dev.chatforge.chat.ChatConfig.class, dev.chatforge.chat.ChatConfig.defaults()),
                new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8)),
                System.out, System.err, System.console() != null));
    }

    public static StageRunner runner(String stage) {
        StageRunner runner = RUNNERS.get(stage);
        if (runner == null) {
            throw new dev.chatforge.config.ConfigException("unknown stage '" + stage + "' (stages: " + RUNNERS.keySet() + ")");
        }
        return runner;
    }

    public static boolean isStage(String name) {
        return RUNNERS.containsKey(name);
    }

    /** Binds a section, prints the effective config to stderr, and returns it. */
    public static <T extends StageConfig> T bind(ConfigFile file, String section, Class<T> type, T defaults) {
        T config = file.section(section, type, defaults);
        System.err.print("# effective config (" + file.origin() + ")\n" + ConfigFile.toYaml(section, config));
        return config;
    }

    private static StageRunner notYet(String stage) {
        return (file, section, force) -> {
            throw new StageNotAvailableException(stage);
        };
    }

    /** A stage whose implementation has not landed yet. */
    static final class StageNotAvailableException extends RuntimeException {
        StageNotAvailableException(String stage) {
            super("the '" + stage + "' stage is not available yet in this version of chatforge");
        }
    }
}
