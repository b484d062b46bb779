package dev.chatforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import dev.chatforge.tokenizer.TokenFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tokenize stage's output folder as train, eval and finetune read it: its manifest (vocab
 * size, splits with token and UTF-8 byte counts), the token files and the tokenizer.json.
 */
public final class TokenizedData {
    private final Path dir;
    private final Manifest manifest;
    private final int vocabSize;

    private TokenizedData(Path dir, Manifest manifest, int vocabSize) {
        this.dir = dir;
        this.manifest = manifest;
        this.vocabSize = vocabSize;
    }

    public static TokenizedData read(Path dir) {
        Manifest manifest = Manifest.read(dir, "tokenize");
        JsonNode vocab = manifest.stats() == null ? null : manifest.stats().get("vocab_size");
        if (vocab == null || !vocab.canConvertToInt()) {
            throw new StageInputException(dir.resolve(Manifest.FILE_NAME) + ": stats.vocab_size is missing");
        }
        return new TokenizedData(dir, manifest, vocab.asInt());
    }

    public Path dir() {
        return dir;
    }

    public Manifest manifest() {
        return manifest;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The tokenizer.json the ids were made with. */
    public Path tokenizer() {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) {
            throw new StageInputException(file + ": not found; the tokenize output " + dir + " is incomplete");
        }
        return file;
    }

    /** The files this folder's manifest lists, with their paths resolved, as inputs of a later stage's manifest. */
    public java.util.List<Manifest.FileEntry> manifestEntries() {
        java.util.List<Manifest.FileEntry> entries = new java.util.ArrayList<>();
        for (Manifest.FileEntry e : manifest.outputs()) {
            entries.add(new Manifest.FileEntry(dir.resolve(e.path()).toString(), e.bytes(), e.sha256()));
        }
        return entries;
    }

    /** The manifest's SHA-256 of each listed file, by name: what a resumed run compares to know its data is the same. */
    public com.fasterxml.jackson.databind.node.ObjectNode fileHashes() {
        com.fasterxml.jackson.databind.node.ObjectNode hashes = dev.chatforge.io.Json.MAPPER.createObjectNode();
        if (manifest.outputs() != null) {
            for (Manifest.FileEntry e : manifest.outputs()) {
                if (e.sha256() != null) {
                    hashes.put(e.path(), e.sha256());
                }
            }
        }
        return hashes;
    }

    public boolean hasSplit(String split) {
        return manifest.stats().path("splits").has(split);
    }

    /** stats.splits.{split}, or an error naming the splits there are. */
    public JsonNode split(String split) {
        JsonNode splits = manifest.stats().path("splits");
        JsonNode entry = splits.get(split);
        if (entry == null) {
            java.util.List<String> names = new java.util.ArrayList<>();
            splits.fieldNames().forEachRemaining(names::add);
            throw new StageInputException(dir.resolve(Manifest.FILE_NAME) + ": has no split '" + split + "' (splits: "
                    + names + ")");
        }
        return entry;
    }

    /** UTF-8 bytes of the split's text, for bits per byte; -1 when the manifest does not say. */
    public long textBytes(String split) {
        return split(split).path("text_bytes").asLong(-1);
    }

    /** Opens a split's token file (memory-mapped), checked against the manifest's vocab size. */
    public TokenFile open(String split) {
        String name = split(split).path("file").asText(split + ".bin");
        Path file = manifest.outputs() == null || manifest.outputs().stream().noneMatch(e -> e.path().equals(name))
                ? dir.resolve(name) : manifest.verifiedOutput(dir, name);
        TokenFile tokens = TokenFile.open(file);
        if (tokens.vocabSize() != vocabSize) {
            throw new StageInputException(file + ": vocabulary size " + tokens.vocabSize() + " differs from the "
                    + "manifest's " + vocabSize + "; re-run `chatforge tokenize`");
        }
        return tokens;
    }
}
