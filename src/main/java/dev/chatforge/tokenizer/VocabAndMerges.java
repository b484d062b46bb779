package dev.chatforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * GPT-2's tokenizer as older Hub repositories and OpenAI's release ship it: {@code vocab.json}
 * (token → id; OpenAI's {@code encoder.json}) and {@code merges.txt} (one merge "a b" per line
 * in priority order after a {@code #version} line; OpenAI's {@code vocab.bpe}), converted to the
 * {@code tokenizer.json} the Hub's {@code gpt2} repository has: ByteLevel pre-tokenizer, decoder and
 * post-processor, BPE model, and {@code <|endoftext|>} as a special added token.
 */
public final class VocabAndMerges {
    public static final String VOCAB = "vocab.json";
    public static final String MERGES = "merges.txt";

    private VocabAndMerges() {}

    /** The tokenizer.json text for a vocab.json + merges.txt pair. */
    public static byte[] toTokenizerJson(Path vocabJson, Path mergesTxt) {
        List<String> vocab = readVocab(vocabJson);
        List<String[]> merges = readMerges(mergesTxt);
        List<Integer> specials = new ArrayList<>();
        int endOfText = vocab.indexOf("<|endoftext|>");
        if (endOfText >= 0) {
            specials.add(endOfText);
        }
        try {
            ObjectNode root = (ObjectNode) Json.MAPPER.readTree(TokenizerJson.render(vocab, merges, specials));
            ObjectNode model = (ObjectNode) root.get("model");
            model.put("continuing_subword_prefix", ""); // as the Hub's gpt2/tokenizer.json has them
            model.put("end_of_word_suffix", "");
            return (Json.COMPACT.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The tokenizer.json of a checkpoint folder: its own, or one converted from its vocab.json +
     * merges.txt into a temporary file (deleted when the JVM exits); null when it has neither.
     */
    public static Path tokenizerOf(Path dir) {
        Path own = dir.resolve("tokenizer.json");
        if (Files.exists(own)) {
            return own;
        }
        if (!Files.exists(dir.resolve(VOCAB)) || !Files.exists(dir.resolve(MERGES))) {
            return null;
        }
        try {
            Path converted = Files.createTempFile("chatforge-tokenizer-", ".json");
            converted.toFile().deleteOnExit();
            Files.write(converted, toTokenizerJson(dir.resolve(VOCAB), dir.resolve(MERGES)));
            return converted;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot convert " + dir.resolve(VOCAB) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tokenizer.json bytes for {@code file}: a tokenizer.json as it is; a {@code vocab.json}
     * (with {@code merges.txt} beside it), or a folder holding either form, converted.
     */
    public static byte[] tokenizerJsonBytes(Path file) {
        try {
            if (Files.isDirectory(file)) {
                Path own = file.resolve("tokenizer.json");
                return Files.exists(own) ? Files.readAllBytes(own)
                        : toTokenizerJson(file.resolve(VOCAB), file.resolve(MERGES));
            }
            if (file.getFileName().toString().equals(VOCAB)) {
                return toTokenizerJson(file, file.resolveSibling(MERGES));
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new StageInputException(e.getFile() + ": tokenizer file not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> readVocab(Path file) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": not found (a GPT-2 tokenizer is tokenizer.json, or vocab.json with "
                    + "merges.txt beside it)");
        } catch (IOException e) {
            throw new StageInputException(file + ": not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new StageInputException(file + ": expected a JSON object {token: id}");
        }
        List<String> vocab = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            int id = e.getValue().canConvertToInt() ? e.getValue().asInt() : -1;
            if (id < 0 || id > 10_000_000) {
                throw new StageInputException(file + ": token '" + e.getKey() + "' has id " + e.getValue()
                        + ", expected a non-negative integer");
            }
            while (vocab.size() <= id) {
                vocab.add(null);
            }
            if (vocab.get(id) != null) {
                throw new StageInputException(file + ": id " + id + " is given to both '" + vocab.get(id) + "' and '"
                        + e.getKey() + "'");
            }
            vocab.set(id, e.getKey());
        }
        int gap = vocab.indexOf(null);
        if (gap >= 0) {
            throw new StageInputException(file + ": no token has id " + gap + " (ids must run from 0 without gaps)");
        }
        return vocab;
    }

    private static List<String[]> readMerges(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": not found (vocab.json needs merges.txt beside it)");
        } catch (IOException e) {
            throw new StageInputException(file + ": cannot read: " + e.getMessage());
        }
        List<String[]> merges = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            String[] parts = line.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new StageInputException(file + ":" + (i + 1) + ": '" + line + "' is not a merge of two tokens");
            }
            merges.add(parts);
        }
        return merges;
    }
}
