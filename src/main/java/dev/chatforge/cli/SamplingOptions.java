package dev.chatforge.cli;

import dev.chatforge.io.Json;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Command-line options shared by {@code generate} and {@code chat}; each maps onto the config
 * key of the same meaning, so `--top-k 5` is `--set generate.top_k=5`.
 */
public final class SamplingOptions {
    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Checkpoint folder to load.")
    Path checkpoint;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Most tokens to generate.")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy; higher = more varied.")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens (0 = off).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample among the most likely tokens holding mass P (1 = off).")
    Double topP;

    @Option(names = "--seed", paramLabel = "N", description = "RNG seed, for reproducible output.")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop before this string (repeatable); \\n and \\t mean newline and tab.")
    List<String> stop;

    @Option(names = "--device", paramLabel = "auto|cpu|gpu", description = "Where the model runs.")
    String device;

    @Option(names = "--precision", paramLabel = "auto|fp32|bf16",
            description = "Number format of the matrix products (auto: bf16 where the processor has it natively).")
    String precision;

    void addTo(ConfigOptions options, String section) {
        put(options, section, "checkpoint", checkpoint == null ? null : checkpoint.toString());
        put(options, section, "max_new_tokens", maxNewTokens);
        put(options, section, "temperature", temperature);
        put(options, section, "top_k", topK);
        put(options, section, "top_p", topP);
        put(options, section, "seed", seed);
        put(options, section, "stop", stop == null ? null : stop.stream().map(SamplingOptions::unescape).toList());
        put(options, section, "device", device);
        put(options, section, "precision", precision);
    }

    /**
     * Adds {@code section.key=value} with the value written as JSON (which YAML reads back
     * verbatim), so a prompt such as "Q: [x]" stays a string instead of becoming YAML syntax.
     */
    static void put(ConfigOptions options, String section, String key, Object value) {
        if (value == null) {
            return;
        }
        try {
            options.addOverride(section + "." + key, Json.COMPACT.writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "\\n" typed on a command line means a newline, as in the YAML file's "\\n". */
    static String unescape(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                switch (next) {
                    case 'n' -> { out.append('\n'); i++; continue; }
                    case 't' -> { out.append('\t'); i++; continue; }
                    case '\\' -> { out.append('\\'); i++; continue; }
                    default -> { }
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
