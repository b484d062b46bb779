package dev.chatforge.chat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.config.ConfigException;
import dev.chatforge.io.Json;
import dev.chatforge.tokenizer.ChatTokenizer;
import java.io.PrintStream;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code chatforge generate}: continues a prompt with a checkpoint. The prompt and the generated
 * text go to stdout (streamed as it is generated); the speed line goes to stderr.
 */
public final class GenerateStage {
    private GenerateStage() {}

    public static Generator.Result run(GenerateConfig config, PrintStream out, PrintStream err) {
        try (LoadedModel model = LoadedModel.load(config.checkpoint(), config.device(), config.precision())) {
            ChatTokenizer tokenizer = model.tokenizer();
            Set<Integer> stopIds = new HashSet<>();
            boolean configured = config.stopTokens() != null;
            for (String name : configured ? config.stopTokens() : GenerateConfig.DEFAULT_STOP_TOKENS) {
                Integer id = tokenizer.specialTokens().get(name);
                if (id == null && !configured) {
                    continue; // a default this tokenizer lacks (a Hub GPT-2 has no <|end|>)
                }
                if (id == null) {
                    throw new ConfigException("key 'generate.stop_tokens': '" + name + "' is not a special token of "
                            + tokenizer.path() + " (special tokens: " + tokenizer.specialTokens().keySet() + ")");
                }
                stopIds.add(id);
            }
            StopCondition stop = new StopCondition(stopIds, config.stop());
            // <|endoftext|> first: a prompt starts a document, as documents started in training.
            // The prompt is text unless the user asked for its special-token strings to be tokens.
            int[] body = config.specialTokens() ? tokenizer.encodeWithSpecialTokens(config.prompt())
                    : tokenizer.encode(config.prompt());
            int[] prompt = new int[body.length + 1];
            prompt[0] = tokenizer.endOfTextId();
            System.arraycopy(body, 0, prompt, 1, body.length);

            boolean stream = !config.printIds();
            if (stream) {
                out.print(config.prompt());
                out.flush();
            }
            NextTokenModel next = model.nextTokenModel();
            Generator generator = new Generator(next, config.useCache());
            if (config.printIds()) {
                generator.recordingLogProbs(); // --print-ids reports them
            }
            Generator.Result result = generator.generate(prompt, config.maxNewTokens(), config.sampler(), stop,
                    tokenizer::decode, piece -> {
                        if (stream) {
                            out.print(piece);
                            out.flush();
                        }
                    });
            if (stream) {
                out.println();
            } else {
                // The exact ids, for checking another runtime token for token (src/test/node).
                ObjectNode ids = Json.COMPACT.createObjectNode();
                prompt = java.util.Arrays.copyOfRange(prompt, prompt.length - result.promptTokens(), prompt.length);
                java.util.Arrays.stream(prompt).forEach(ids.putArray("prompt_ids")::add);
                java.util.Arrays.stream(result.tokens()).forEach(ids.putArray("ids")::add);
                java.util.Arrays.stream(result.logProbs()).forEach(ids.putArray("log_probs")::add);
                ids.put("text", result.text());
                ids.put("stop", result.stopReason().name().toLowerCase(Locale.ROOT));
                out.println(ids);
            }
            out.flush();
            double seconds = (result.prefillNanos() + result.decodeNanos()) / 1e9;
            err.printf(Locale.ROOT, "generate: %d tokens in %.2f s: %.1f tokens/s (key/value cache %s; prompt %d tokens); "
                            + "ended by %s%n", result.tokens().length, seconds, result.tokensPerSecond(),
                    !config.useCache() ? "off" : next instanceof GPT2NextTokenModel g && g.usesJavaDecoder()
                            ? "on, Java decoder in fp32" : "on, tensor ops", result.promptTokens(),
                    describe(result.stopReason()));
            return result;
        }
    }

    private static String describe(Generator.StopReason reason) {
        return switch (reason) {
            case STOP_TOKEN -> "a stop token";
            case STOP_STRING -> "a stop string";
            case MAX_TOKENS -> "max_new_tokens";
        };
    }
}
