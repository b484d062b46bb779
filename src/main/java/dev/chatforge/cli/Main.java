package dev.chatforge.cli;

import dev.chatforge.config.ConfigException;
import dev.chatforge.io.StageInputException;
import java.io.UncheckedIOException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The `chatforge` command. Exit status: 0 success, 1 bad input or failed stage, 2 bad usage
 * or config.
 */
@Command(name = "chatforge", mixinStandardHelpOptions = true, version = "chatforge " + dev.chatforge.io.Version.CHATFORGE,
        description = "Build your own chat model: prepare data, train a tokenizer and a GPT-2, evaluate, fine-tune, chat.",
        subcommands = {PipelineCommand.class, BenchCommand.class, ReportCommand.class, InitModelCommand.class,
                ExportCommand.class})
public final class Main {
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;

    private static final Map<String, String> STAGE_DESCRIPTIONS = new java.util.LinkedHashMap<>();

    static {
        STAGE_DESCRIPTIONS.put("prepare", "Read raw text/JSONL/[INST]/CSV data, clean it, drop duplicates, split train/validation.");
        STAGE_DESCRIPTIONS.put("tokenize", "Train a byte-level BPE tokenizer (tokenizer.json) and encode the splits into token files.");
        STAGE_DESCRIPTIONS.put("train", "Train a GPT-2 causal language model on token files.");
        STAGE_DESCRIPTIONS.put("eval", "Report validation loss, perplexity and bits per byte of a checkpoint; standard benchmarks "
                + "(WikiText-2, PTB, LAMBADA, HellaSwag); the quality of its answers on dialogues (ROUGE-L).");
        STAGE_DESCRIPTIONS.put("finetune", "Continue from a checkpoint on dialogue data, learning the agent's replies.");
        STAGE_DESCRIPTIONS.put("generate", "Generate text from a prompt with a checkpoint.");
        STAGE_DESCRIPTIONS.put("chat", "Talk to a checkpoint: a command-line chatbot with history and persona.");
        STAGE_DESCRIPTIONS.put("serve", "Serve a checkpoint over an OpenAI-compatible HTTP API, with a web chat page at /.");
    }

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit status (tests call this instead of main). */
    public static int run(String... args) {
        CommandLine cli = commandLine();
        return cli.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (Map.Entry<String, String> stage : STAGE_DESCRIPTIONS.entrySet()) {
            CommandLine sub = new CommandLine(commandFor(stage.getKey()));
            sub.getCommandSpec().usageMessage().description(stage.getValue());
            cli.addSubcommand(stage.getKey(), sub);
        }
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + messageOf(e));
            if (System.getenv("CHATFORGE_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return e instanceof ConfigException ? EXIT_USAGE : EXIT_FAILED;
        });
        return cli;
    }

    /** Stage commands with options of their own get their own class; the rest share StageCommand. */
    private static Object commandFor(String stage) {
        return switch (stage) {
            case "generate" -> new GenerateCommand();
            case "chat" -> new ChatCommand();
            case "prepare" -> new PrepareCommand();
            case "serve" -> new ServeCommand();
            default -> new StageCommand(stage);
        };
    }

    private static String messageOf(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return u.getMessage() != null ? u.getMessage() : u.getCause().toString();
        }
        if (e instanceof ConfigException || e instanceof StageInputException) {
            return e.getMessage();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
