package dev.chatforge.cli;

import dev.chatforge.chat.ChatConfig;
import dev.chatforge.chat.ChatStage;
import dev.chatforge.chat.GenerateConfig;
import dev.chatforge.chat.GenerateStage;
import dev.chatforge.config.ConfigFile;
import dev.chatforge.config.StageConfig;
import dev.chatforge.data.PrepareConfig;
import dev.chatforge.serve.ServeConfig;
import dev.chatforge.serve.ServeStage;
import dev.chatforge.data.PrepareStage;
import dev.chatforge.eval.EvalConfig;
import dev.chatforge.eval.EvalStage;
import dev.chatforge.finetune.FinetuneConfig;
import dev.chatforge.finetune.FinetuneStage;
import dev.chatforge.tokenizer.TokenizeConfig;
import dev.chatforge.tokenizer.TokenizeStage;
import dev.chatforge.train.TrainConfig;
import dev.chatforge.train.TrainStage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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
        RUNNERS.put("prepare", (file, section, force) ->
                PrepareStage.run(bind(file, section, PrepareConfig.class, PrepareConfig.defaults()), force));
        RUNNERS.put("tokenize", (file, section, force) -> TokenizeStage.run(
                bind(file, section, TokenizeConfig.class, TokenizeConfig.defaults()), force));
        RUNNERS.put("train", (file, section, force) ->
                TrainStage.run(bind(file, section, TrainConfig.class, TrainConfig.defaults()), force));
        RUNNERS.put("eval", (file, section, force) ->
                EvalStage.run(bind(file, section, EvalConfig.class, EvalConfig.defaults()), force));
        RUNNERS.put("finetune", (file, section, force) ->
                FinetuneStage.run(bind(file, section, FinetuneConfig.class, FinetuneConfig.defaults()), force));
        RUNNERS.put("generate", (file, section, force) ->
                GenerateStage.run(bind(file, section, GenerateConfig.class, GenerateConfig.defaults()), System.out, System.err));
        RUNNERS.put("chat", (file, section, force) ->
                ChatStage.run(bind(file, section, ChatConfig.class, ChatConfig.defaults()),
                        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                        System.out, System.err, System.console() != null));
        RUNNERS.put("serve", (file, section, force) ->
                ServeStage.run(bind(file, section, ServeConfig.class, ServeConfig.defaults()), null, System.err));
    }

    public static StageRunner runner(String stage) {
        StageRunner runner = RUNNERS.get(stage);
        if (runner == null) {
            throw new dev.chatforge.config.ConfigException("unknown stage '" + stage + "' (stages: " + RUNNERS.keySet() + ")");
        }
        return runner;
    }

    /** The names of all stages, in pipeline order. */
    public static java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(RUNNERS.keySet());
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
}
