package dev.chatforge.cli;

import dev.chatforge.config.ConfigException;
import dev.chatforge.export.GgmlType;
import dev.chatforge.export.GgufExport;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `chatforge export --checkpoint DIR --format gguf --output FILE`: a checkpoint for llama.cpp and Ollama. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a checkpoint as one GGUF file (llama.cpp, Ollama, LM Studio): weights, tokenizer and chat template.")
public class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "A chatforge checkpoint folder or a Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer).")
    Path checkpoint;

    @Option(names = "--format", defaultValue = "gguf", paramLabel = "FORMAT", description = "Output format: gguf (default).")
    String format;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "File to write (e.g. model.gguf).")
    Path output;

    @Option(names = "--type", defaultValue = "f16", paramLabel = "TYPE",
            description = "Matrix weights as f32, f16 or q8_0 (8-bit); norms, biases and position embeddings stay f32 "
                    + "(default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--force", description = "Replace an existing output file (only once the new one is complete).")
    boolean force;

    @Override
    public Integer call() {
        if (!format.equalsIgnoreCase("gguf")) {
            throw new ConfigException("--format: '" + format + "' is not supported (formats: gguf)");
        }
        GgmlType ggml = switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "q8_0" -> GgmlType.Q8_0;
            default -> throw new ConfigException("--type: '" + type + "' is not one of f32, f16, q8_0");
        };
        GgufExport.run(checkpoint, output, ggml, force, System.err);
        return 0;
    }
}
