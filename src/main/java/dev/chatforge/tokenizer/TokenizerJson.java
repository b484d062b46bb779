package dev.chatforge.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer in Hugging Face's {@code tokenizer.json} format: what chatforge
 * writes after training and what it accepts from elsewhere (GPT-2's own file, a checkpoint's).
 *
 * @param vocab       token string of each id (byte-level characters; special tokens as written)
 * @param merges      merge rules in priority order, each a pair of token strings
 * @param addedTokens the added tokens (chatforge writes only special ones)
 * @param gpt2Split   true when the file splits text exactly as {@link PreTokenizer} does (no
 *                    normalizer, ByteLevel with the GPT-2 regex and no prefix space, plain added
 *                    tokens): then encodings may be cached per word
 */
public record TokenizerJson(List<String> vocab, List<String[]> merges, List<AddedToken> addedTokens, boolean gpt2Split) {

    /** An entry of {@code added_tokens}. */
    public record AddedToken(int id, String content, boolean special, boolean plain) {}

    public int vocabSize() {
        return vocab.size();
    }

    // ---------------------------------------------------------------------------------------
    // writing

    /**
     * The {@code tokenizer.json} text for a trained vocabulary, as GPT-2's is laid out: ByteLevel
     * pre-tokenizer (no prefix space, GPT-2 regex), ByteLevel post-processor and decoder, a BPE
     * model with {@code vocab} and {@code merges} as "a b" strings, and the special tokens as
     * added tokens. Deterministic: the same vocabulary gives the same bytes.
     *
     * @param vocab     token string per id; the ids of {@code specialIds} hold special tokens
     * @param specialIds ids (in {@code vocab}) that are special tokens
     */
    public static byte[] render(List<String> vocab, List<String[]> merges, List<Integer> specialIds) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id : specialIds) {
            ObjectNode t = added.addObject();
            t.put("id", id);
            t.put("content", vocab.get(id));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(f, false, true));
        root.set("post_processor", byteLevel(f, true, false));
        root.set("decoder", byteLevel(f, true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocabNode = model.putObject("vocab");
        for (int id = 0; id < vocab.size(); id++) {
            vocabNode.put(vocab.get(id), id);
        }
        ArrayNode mergeNode = model.putArray("merges");
        for (String[] m : merges) {
            // Byte-level tokens never contain ' ' (it maps to 'Ġ'), so "a b" is unambiguous.
            mergeNode.add(m[0] + " " + m[1]);
        }
        try {
            return (Json.MAPPER.writeValueAsString(root) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode byteLevel(JsonNodeFactory f, boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode n = f.objectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }

    // ---------------------------------------------------------------------------------------
    // reading

    /**
     * Reads and checks a {@code tokenizer.json}: it must be a byte-level BPE (BPE model,
     * ByteLevel pre-tokenizer and decoder). Anything else is a {@link StageInputException}
     * naming the file and what is wrong.
     */
    public static TokenizerJson read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": tokenizer file not found");
        } catch (IOException e) {
            throw new StageInputException(file + ": cannot read: " + e.getMessage());
        }
        return parse(bytes, file);
    }

    /** As {@link #read}, for a tokenizer.json's bytes; messages name {@code file}, where the user gave them. */
    public static TokenizerJson parse(byte[] bytes, Path file) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new StageInputException(file + ": not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new StageInputException(file + ": not a tokenizer.json (expected a JSON object)");
        }
        JsonNode model = root.path("model");
        String modelType = model.path("type").asText(model.has("merges") ? "BPE" : "");
        if (!"BPE".equals(modelType) || !model.path("vocab").isObject() || !model.path("merges").isArray()) {
            throw new StageInputException(file + ": not a byte-level BPE tokenizer: model type is '"
                    + (modelType.isEmpty() ? "missing" : modelType) + "', chatforge needs a BPE model with vocab and merges");
        }
        JsonNode pre = root.path("pre_tokenizer");
        if (!isByteLevel(pre)) {
            throw new StageInputException(file + ": not a byte-level BPE tokenizer: pre_tokenizer is "
                    + describe(pre) + ", chatforge needs ByteLevel");
        }
        JsonNode decoder = root.path("decoder");
        if (!isByteLevel(decoder)) {
            throw new StageInputException(file + ": not a byte-level BPE tokenizer: decoder is " + describe(decoder)
                    + ", chatforge needs ByteLevel so ids decode back to the exact bytes");
        }
        // The Hub's GPT-2 file writes "" for both: an empty prefix or suffix is none.
        if (!model.path("continuing_subword_prefix").asText("").isEmpty()
                || !model.path("end_of_word_suffix").asText("").isEmpty()) {
            throw new StageInputException(file + ": not a byte-level BPE tokenizer: the BPE model uses a subword "
                    + "prefix or suffix, which byte-level decoding cannot undo");
        }

        List<String> vocab = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> entries = model.path("vocab").fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> e = entries.next();
            int id = e.getValue().asInt(-1);
            if (!e.getValue().canConvertToInt() || id < 0) {
                throw new StageInputException(file + ": model.vocab: token '" + e.getKey() + "' has id "
                        + e.getValue() + ", expected a non-negative integer");
            }
            set(vocab, id, e.getKey(), file);
        }
        List<AddedToken> added = new ArrayList<>();
        boolean plainAdded = true;
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt(-1);
            String content = t.path("content").asText(null);
            if (id < 0 || content == null) {
                throw new StageInputException(file + ": added_tokens: entry " + t + " lacks an id or content");
            }
            boolean plain = !t.path("single_word").asBoolean(false) && !t.path("lstrip").asBoolean(false)
                    && !t.path("rstrip").asBoolean(false);
            plainAdded &= plain;
            added.add(new AddedToken(id, content, t.path("special").asBoolean(false), plain));
            if (id >= vocab.size() || vocab.get(id) == null) {
                set(vocab, id, content, file);
            } else if (!vocab.get(id).equals(content)) {
                throw new StageInputException(file + ": added token '" + content + "' has id " + id
                        + ", which model.vocab gives to '" + vocab.get(id) + "'");
            }
        }
        for (int id = 0; id < vocab.size(); id++) {
            if (vocab.get(id) == null) {
                throw new StageInputException(file + ": model.vocab has no token with id " + id
                        + " (ids must run from 0 to " + (vocab.size() - 1) + " without gaps)");
            }
        }
        List<String[]> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isTextual()) {
                String[] parts = m.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw new StageInputException(file + ": model.merges: '" + m.asText() + "' is not two tokens");
                }
                merges.add(parts);
            } else if (m.isArray() && m.size() == 2) {
                merges.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new StageInputException(file + ": model.merges: " + m + " is not a pair of tokens");
            }
        }
        boolean gpt2Split = root.path("normalizer").isNull() || root.path("normalizer").isMissingNode();
        gpt2Split &= pre.path("use_regex").asBoolean(true) && !pre.path("add_prefix_space").asBoolean(true);
        gpt2Split &= plainAdded;
        return new TokenizerJson(List.copyOf(vocab), merges, List.copyOf(added), gpt2Split);
    }

    private static void set(List<String> vocab, int id, String token, Path file) {
        while (vocab.size() <= id) {
            vocab.add(null);
        }
        if (vocab.get(id) != null && !vocab.get(id).equals(token)) {
            throw new StageInputException(file + ": id " + id + " is given to both '" + vocab.get(id) + "' and '"
                    + token + "'");
        }
        vocab.set(id, token);
    }

    private static boolean isByteLevel(JsonNode node) {
        return node.isObject() && "ByteLevel".equals(node.path("type").asText());
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return "missing";
        }
        return "'" + node.path("type").asText("?") + "'";
    }
}
