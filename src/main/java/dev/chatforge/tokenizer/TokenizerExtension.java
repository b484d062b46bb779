package dev.chatforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tokenizer that is another one plus special tokens appended after its last id: what
 * {@code tokenize} makes of a pretrained model's tokenizer that lacks the chat template's tokens
 * (as transformers' {@code add_special_tokens} does), and what {@code finetune} accepts as "the
 * checkpoint's tokenizer": every old text keeps its ids, and the model grows one embedding row
 * per appended token.
 *
 * @param tokenizer the extended tokenizer.json (the one the data was tokenized with)
 * @param baseVocab ids of the original tokenizer
 * @param appended  the appended special tokens, in id order from {@code baseVocab}; empty when
 *                  both tokenizers are the same
 */
public record TokenizerExtension(Path tokenizer, int baseVocab, List<String> appended) {

    /** Ids of the extended tokenizer. */
    public int vocabSize() {
        return baseVocab + appended.size();
    }

    /**
     * {@code tokenizerJson} with {@code tokens} appended as special added tokens, ids from its
     * vocabulary size upwards (tokens it already has are skipped).
     */
    public static byte[] append(Path tokenizerJson, List<String> tokens) {
        TokenizerJson parsed = TokenizerJson.read(tokenizerJson);
        ObjectNode root = read(tokenizerJson);
        ArrayNode added = root.withArray("added_tokens");
        int id = parsed.vocabSize();
        for (String token : tokens) {
            if (parsed.vocab().contains(token)) {
                continue;
            }
            ObjectNode t = added.addObject();
            t.put("id", id++);
            t.put("content", token);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        try {
            return (Json.COMPACT.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * How {@code extended} relates to {@code base}: equal, or base plus appended special tokens;
     * anything else (other merges, other ids, tokens inserted in between) is a
     * {@link StageInputException} that says what differs, followed by {@code hint}.
     */
    public static TokenizerExtension of(Path base, Path extended, String hint) {
        ObjectNode a = read(base);
        ObjectNode b = read(extended);
        int baseVocab = TokenizerJson.read(base).vocabSize();
        JsonNode addedA = a.remove("added_tokens");
        JsonNode addedB = b.remove("added_tokens");
        String differs = extended + ": differs from the checkpoint's " + base + " (the same text would get other ids)";
        if (!a.equals(b)) {
            throw new StageInputException(differs + ": its model or pre-tokenizer is another" + hint);
        }
        int n = addedA == null ? 0 : addedA.size();
        if (addedB == null || addedB.size() < n) {
            throw new StageInputException(differs + ": it lacks added tokens of the checkpoint's" + hint);
        }
        for (int i = 0; i < n; i++) {
            if (!addedA.get(i).equals(addedB.get(i))) {
                throw new StageInputException(differs + ": added token " + addedB.get(i) + " differs from "
                        + addedA.get(i) + hint);
            }
        }
        List<String> appended = new ArrayList<>();
        for (int i = n; i < addedB.size(); i++) {
            JsonNode t = addedB.get(i);
            int expectedId = baseVocab + appended.size();
            if (t.path("id").asInt(-1) != expectedId || !t.path("special").asBoolean(false)) {
                throw new StageInputException(differs + ": added token " + t + " is not a special token appended "
                        + "after the checkpoint's ids (expected id " + expectedId + ")" + hint);
            }
            appended.add(t.path("content").asText());
        }
        return new TokenizerExtension(extended, baseVocab, List.copyOf(appended));
    }

    private static ObjectNode read(Path file) {
        try {
            return parse(Files.readAllBytes(file), file);
        } catch (IOException e) {
            throw new StageInputException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static ObjectNode parse(byte[] bytes, Path origin) {
        try {
            JsonNode node = Json.MAPPER.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new StageInputException(origin + ": not a tokenizer.json (expected a JSON object)");
            }
            return (ObjectNode) node;
        } catch (IOException e) {
            throw new StageInputException(origin + ": not valid JSON: " + e.getMessage());
        }
    }
}
