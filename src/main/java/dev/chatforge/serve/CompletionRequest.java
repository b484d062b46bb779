package dev.chatforge.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fields of a {@code /v1/chat/completions} or {@code /v1/completions} body this server acts
 * on, checked as OpenAI's API defines them; unknown fields are ignored. Exactly one of
 * {@code messages} (chat) and {@code prompt} (completions) is set.
 *
 * @param maxTokens   the most tokens to generate; null = as many as the context leaves
 * @param temperature 0 = greedy; OpenAI's default 1
 * @param topK        a llama.cpp / vLLM extension; 0 = off
 * @param seed        the sampler's seed (a random one when the request has none)
 */
public record CompletionRequest(
        List<Turn> messages,
        String prompt,
        Integer maxTokens,
        double temperature,
        double topP,
        int topK,
        long seed,
        List<String> stop,
        boolean stream,
        boolean includeUsage) {

    public static CompletionRequest chat(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiError.invalid("messages", "'messages' must be a non-empty array of {role, content}");
        }
        List<Turn> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            turns.add(turn(messages.get(i), "messages[" + i + "]"));
        }
        return common(body, turns, null);
    }

    public static CompletionRequest completion(JsonNode body) {
        JsonNode prompt = body.get("prompt");
        String text;
        if (prompt != null && prompt.isTextual()) {
            text = prompt.asText();
        } else if (prompt != null && prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            text = prompt.get(0).asText();
        } else {
            throw ApiError.invalid("prompt", "'prompt' must be a string (or a list holding one string)");
        }
        return common(body, null, text);
    }

    private static CompletionRequest common(JsonNode body, List<Turn> turns, String prompt) {
        Integer maxTokens = optionalInt(body, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = optionalInt(body, "max_tokens");
        }
        if (maxTokens != null && maxTokens < 1) {
            throw ApiError.invalid(body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                    "must be >= 1, got " + maxTokens);
        }
        Integer n = optionalInt(body, "n");
        if (n != null && n != 1) {
            throw ApiError.invalid("n", "this server returns one choice per request; 'n' must be 1, got " + n);
        }
        double temperature = optionalNumber(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ApiError.invalid("temperature", "must be between 0 and 2, got " + temperature);
        }
        double topP = optionalNumber(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw ApiError.invalid("top_p", "must be in (0, 1], got " + topP);
        }
        Integer topK = optionalInt(body, "top_k");
        if (topK != null && topK < 0) {
            throw ApiError.invalid("top_k", "must be >= 0 (0 = off), got " + topK);
        }
        JsonNode seedNode = body.get("seed");
        long seed;
        if (seedNode == null || seedNode.isNull()) {
            seed = ThreadLocalRandom.current().nextLong();
        } else if (seedNode.isIntegralNumber() && seedNode.canConvertToLong()) {
            seed = seedNode.asLong();
        } else {
            throw ApiError.invalid("seed", "'seed' must be an integer");
        }
        boolean stream = optionalBoolean(body, "stream");
        JsonNode options = body.get("stream_options");
        boolean includeUsage = false;
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiError.invalid("stream_options", "'stream_options' must be an object");
            }
            includeUsage = optionalBoolean(options, "include_usage");
        }
        return new CompletionRequest(turns, prompt, maxTokens, temperature, topP, topK == null ? 0 : topK, seed,
                stop(body.get("stop")), stream, includeUsage);
    }

    private static Turn turn(JsonNode message, String where) {
        if (!message.isObject()) {
            throw ApiError.invalid(where, where + " must be an object {role, content}");
        }
        String roleName = message.path("role").asText(null);
        Role role = "developer".equals(roleName) ? Role.SYSTEM : Role.parse(message.path("role").isTextual() ? roleName : null);
        if (role == null) {
            throw ApiError.invalid(where + ".role", where + ".role must be system, developer, user or assistant, got "
                    + message.get("role"));
        }
        return new Turn(role, content(message.get("content"), where + ".content"));
    }

    /** A message's text: a string, or an array of {type: "text", text} parts. */
    private static String content(JsonNode content, String where) {
        if (content != null && content.isTextual()) {
            return content.asText();
        }
        if (content != null && content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.invalid(where, where + ": only text parts ({\"type\": \"text\", \"text\": ...}) are "
                            + "supported");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiError.invalid(where, where + " must be a string");
    }

    private static List<String> stop(JsonNode stop) {
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return out;
        }
        if (stop.isTextual()) {
            out.add(stop.asText());
        } else if (stop.isArray() && stop.size() <= 4) {
            stop.forEach(s -> out.add(s.isTextual() ? s.asText() : null));
        } else {
            out.add(null);
        }
        if (out.stream().anyMatch(s -> s == null || s.isEmpty())) {
            throw ApiError.invalid("stop", "'stop' must be a non-empty string or a list of up to 4 non-empty strings");
        }
        return out;
    }

    private static Integer optionalInt(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw ApiError.invalid(field, "'" + field + "' must be an integer, got " + node);
        }
        return node.asInt();
    }

    private static double optionalNumber(JsonNode body, String field, double fallback) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw ApiError.invalid(field, "'" + field + "' must be a number, got " + node);
        }
        return node.asDouble();
    }

    private static boolean optionalBoolean(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw ApiError.invalid(field, "'" + field + "' must be true or false, got " + node);
        }
        return node.asBoolean();
    }
}
