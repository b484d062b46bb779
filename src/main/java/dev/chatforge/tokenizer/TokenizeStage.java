package dev.chatforge.tokenizer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.Progress;
import dev.chatforge.io.StageInputException;
import dev.chatforge.io.StageOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tokenize stage: prepared records → {@code tokenizer.json} (trained, or an existing one
 * checked and copied) → {@code train.bin} / {@code val.bin} token files → {@code manifest.json}.
 * Everything is built in a temporary folder and published by one rename.
 *
 * <p>Manifest stats: {@code vocab_size}, {@code template}, {@code special_tokens} {token: id},
 * {@code has_loss_mask}, {@code element_type}, {@code bytes_per_token}, {@code tokenizer}
 * {source, merges; for a given tokenizer that lacked special tokens: base_vocab_size,
 * appended_special_tokens}, and per split {@code splits.train|val}: {file, tokens, text_bytes (UTF-8
 * bytes of the rendered records, without the {@code <|endoftext|>} separators: the denominator
 * of bits per byte), records, conversations, trained_tokens, has_loss_mask}.
 */
public final class TokenizeStage {
    public static final String STAGE = "tokenize";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final List<String> SPLITS = List.of("train", "val");

    private TokenizeStage() {}

    /** Runs the stage and returns the manifest it wrote. */
    public static Manifest run(TokenizeConfig config, boolean force) {
        return run(config, force, ParallelBatches.defaultThreads());
    }

    static Manifest run(TokenizeConfig config, boolean force, int threads) {
        Path output = config.output();
        Path input = config.input();
        Manifest prepared = Manifest.read(input, "prepare");
        List<Manifest.FileEntry> inputs = new ArrayList<>();
        inputs.add(Manifest.FileEntry.of(input.resolve(Manifest.FILE_NAME), null));
        for (String split : SPLITS) {
            Path file = prepared.verifiedOutput(input, split + ".jsonl");
            Manifest.FileEntry entry = Manifest.FileEntry.of(file, null);
            String recorded = prepared.outputs().stream().filter(e -> e.path().equals(split + ".jsonl"))
                    .map(Manifest.FileEntry::sha256).findFirst().orElse(null);
            if (recorded != null && !recorded.equals(entry.sha256())) {
                throw new StageInputException(file + ": its SHA-256 differs from the one in " + input.resolve(Manifest.FILE_NAME)
                        + "; the file changed after prepare wrote it (re-run `chatforge prepare`)");
            }
            if (!PreparedSplit.hasRecords(file)) {
                throw new StageInputException(file + ": empty split: no records to tokenize" + (split.equals("val")
                        ? "; train and eval need validation records: raise prepare's val_fraction (e.g. 0.05; 0 puts every"
                        + " record in train) or add data, then re-run `chatforge prepare`"
                        : "; prepare put every record in val.jsonl: lower its val_fraction or add data, then re-run it"));
            }
            inputs.add(entry);
        }
        if (config.tokenizer() != null) {
            inputs.add(Manifest.FileEntry.of(requireFile(config.tokenizer()), null));
        }
        ChatTemplate template = config.chatTemplate();

        try (StageOutput out = StageOutput.folder(STAGE, output).owns(TOKENIZER_FILE, "train.bin", "val.bin", Manifest.FILE_NAME)
                .reads(inputsRead(config)).force(force || config.overwrite()).open()) {
            Path tmp = out.path();
            Path tokenizerFile = tmp.resolve(TOKENIZER_FILE);
            ObjectNode tokenizerStats = Json.MAPPER.createObjectNode();
            if (config.tokenizer() != null) {
                if (!config.tokenizer().getFileName().toString().equals(VocabAndMerges.VOCAB)) {
                    TokenizerJson.read(config.tokenizer()); // byte-level BPE, or a clear error naming the file
                }
                Files.write(tokenizerFile, VocabAndMerges.tokenizerJsonBytes(config.tokenizer()));
                tokenizerStats.put("source", config.tokenizer().toString());
                appendMissingSpecialTokens(config, hasConversations(prepared, input), tokenizerFile, tokenizerStats);
            } else {
                train(config, input.resolve("train.jsonl"), tokenizerFile, tokenizerStats, threads);
                tokenizerStats.put("source", "trained");
            }
            ObjectNode stats = Json.MAPPER.createObjectNode();
            try (ChatTokenizer tokenizer = ChatTokenizer.load(tokenizerFile)) {
                String origin = config.tokenizer() != null ? config.tokenizer().toString() : tokenizerFile.toString();
                List<String> required = new ArrayList<>();
                required.add(ChatTemplate.END_OF_TEXT);
                required.addAll(config.specialTokens());
                List<String> missing = tokenizer.missingSpecialTokens(required);
                if (!missing.isEmpty()) {
                    throw new StageInputException(origin + ": lacks special token(s) " + missing
                            + " that tokenize needs (key 'tokenizer')");
                }
                List<String> missingForChat = tokenizer.missingSpecialTokens(template.controlTokens());
                stats.put("vocab_size", tokenizer.vocabSize());
                stats.put("template", template.wireName());
                ObjectNode specials = stats.putObject("special_tokens");
                tokenizer.specialTokens().forEach(specials::put);
                stats.put("element_type", TokenFileFormat.elementSizeFor(tokenizer.vocabSize()) == 2 ? "uint16" : "int32");
                ObjectNode splits = Json.MAPPER.createObjectNode();
                boolean anyMask = false;
                long allTokens = 0;
                long allBytes = 0;
                SplitEncoder encoder = new SplitEncoder(tokenizer, template, threads, missingForChat, origin);
                for (String split : SPLITS) {
                    Path jsonl = input.resolve(split + ".jsonl");
                    SplitEncoder.Stats s;
                    try (Progress progress = new Progress("tokenize " + split, Files.size(jsonl), "B")) {
                        s = encoder.encode(jsonl, tmp.resolve(split + ".bin"), progress);
                    }
                    ObjectNode node = splits.putObject(split);
                    node.put("file", split + ".bin");
                    node.put("tokens", s.tokens());
                    node.put("text_bytes", s.textBytes());
                    node.put("records", s.records());
                    node.put("conversations", s.conversations());
                    node.put("trained_tokens", s.trainedTokens());
                    node.put("has_loss_mask", s.hasMask());
                    node.put("bytes_per_token", round(s.textBytes() / (double) Math.max(1, s.tokens())));
                    anyMask |= s.hasMask();
                    allTokens += s.tokens();
                    allBytes += s.textBytes();
                    System.err.printf(Locale.ROOT, "tokenize: %s: %,d records -> %,d tokens (%.2f bytes/token)%s%n",
                            split, s.records(), s.tokens(), s.textBytes() / (double) Math.max(1, s.tokens()),
                            s.hasMask() ? String.format(Locale.ROOT, ", %,d trained", s.trainedTokens()) : "");
                }
                stats.put("has_loss_mask", anyMask);
                stats.put("bytes_per_token", round(allBytes / (double) Math.max(1, allTokens)));
                stats.set("splits", splits);
                stats.set("tokenizer", tokenizerStats);
            }
            List<Manifest.FileEntry> outputs = new ArrayList<>();
            outputs.add(Manifest.FileEntry.of(tokenizerFile, tmp));
            for (String split : SPLITS) {
                outputs.add(Manifest.FileEntry.of(tmp.resolve(split + ".bin"), tmp));
            }
            Manifest manifest = Manifest.create(STAGE, inputs, Json.MAPPER.valueToTree(config), stats, outputs);
            manifest.writeTo(tmp);
            out.commit();
            System.err.println("tokenize: wrote " + output);
            return manifest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        }
    }

    /**
     * What tokenize reads: the prepared folder and a given tokenizer (with merges.txt beside a
     * vocab.json): its output may not overlap any of them.
     */
    private static List<Path> inputsRead(TokenizeConfig config) {
        List<Path> read = new ArrayList<>();
        read.add(config.input());
        if (config.tokenizer() != null) {
            read.add(config.tokenizer());
            if (config.tokenizer().getFileName().toString().equals(VocabAndMerges.VOCAB)) {
                read.add(config.tokenizer().resolveSibling(VocabAndMerges.MERGES));
            }
        }
        return read;
    }

    /**
     * A given tokenizer (e.g. a pretrained GPT-2's) that lacks special tokens tokenize or the chat
     * template needs gets them appended after its last id, as transformers' add_special_tokens
     * does: every text keeps its ids, and finetune grows the model's embedding to match.
     */
    private static void appendMissingSpecialTokens(TokenizeConfig config, boolean conversations, Path tokenizerFile,
                                                   ObjectNode stats) throws IOException {
        List<String> wanted = new ArrayList<>();
        wanted.add(ChatTemplate.END_OF_TEXT);
        if (conversations) { // plain text keeps the vocabulary as it is (a Hub model scores it unchanged)
            wanted.addAll(config.chatTemplate().controlTokens());
        }
        wanted.addAll(config.specialTokens());
        TokenizerJson before = TokenizerJson.read(tokenizerFile);
        List<String> missing = wanted.stream().distinct().filter(t -> !before.vocab().contains(t)).toList();
        if (missing.isEmpty()) {
            return;
        }
        Files.write(tokenizerFile, TokenizerExtension.append(tokenizerFile, missing));
        int first = before.vocabSize();
        System.err.printf(Locale.ROOT, "tokenize: %s lacks special token(s) %s: appended them as ids %d..%d; the "
                + "tokenizer.json written with the token files has them (finetune grows the model to match)%n",
                config.tokenizer(), missing, first, first + missing.size() - 1);
        stats.put("base_vocab_size", first);
        missing.forEach(stats.withArray("appended_special_tokens")::add);
    }

    /** Whether the prepared splits hold conversations: from prepare's manifest, else by reading them. */
    private static boolean hasConversations(Manifest prepared, Path input) throws IOException {
        com.fasterxml.jackson.databind.JsonNode splits = prepared.stats().path("splits");
        boolean counted = true;
        long conversations = 0;
        for (String split : SPLITS) {
            com.fasterxml.jackson.databind.JsonNode n = splits.path(split).path("conversations");
            counted &= n.isNumber();
            conversations += n.asLong(0);
        }
        if (counted) {
            return conversations > 0;
        }
        for (String split : SPLITS) {
            try (var lines = Files.lines(input.resolve(split + ".jsonl"))) {
                if (lines.anyMatch(line -> !line.isBlank() && readRecord(line).isConversation())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static dev.chatforge.data.Record readRecord(String line) {
        try {
            return Json.COMPACT.readValue(line, dev.chatforge.data.Record.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void train(TokenizeConfig config, Path trainJsonl, Path tokenizerFile, ObjectNode stats, int threads)
            throws IOException {
        List<String> specials = config.allSpecialTokens();
        ChatTemplate template = config.chatTemplate();
        long start = System.nanoTime();
        WordCounter words = new WordCounter(specials);
        try (PreparedSplit split = new PreparedSplit(trainJsonl, 1 << 19);
             Progress progress = new Progress("tokenize: count words", Files.size(trainJsonl), "B")) {
            long[] read = {0};
            ParallelBatches.run(split, batch -> {
                WordCounter counter = new WordCounter(List.of()); // content is text: count it whole
                for (var record : batch.records()) {
                    for (ChatTemplate.Segment segment : PreparedSplit.render(record, template)) {
                        if (!segment.control()) {
                            counter.add(segment.text());
                        }
                    }
                }
                return new Object[] {counter, batch.bytes()};
            }, result -> {
                words.addAll((WordCounter) result[0]);
                read[0] += (Long) result[1];
                progress.update(read[0]);
            }, threads);
        }
        double countSeconds = (System.nanoTime() - start) / 1e9;
        long mergeStart = System.nanoTime();
        BpeTrainer.Result result = BpeTrainer.train(words.counts(), config.vocabSize(), config.minFrequency(), specials);
        double mergeSeconds = (System.nanoTime() - mergeStart) / 1e9;
        Files.write(tokenizerFile, result.toTokenizerJson());
        System.err.printf(Locale.ROOT, "tokenize: trained a byte-level BPE: %,d distinct words, %,d merges, vocab %,d"
                        + " (asked %,d) in %.2f s (count %.2f s, merge %.2f s)%n",
                words.distinctWords(), result.merges().size(), result.vocab().size(), config.vocabSize(),
                countSeconds + mergeSeconds, countSeconds, mergeSeconds);
        if (result.vocab().size() < config.vocabSize()) {
            System.err.printf(Locale.ROOT, "tokenize: note: the data supports only %,d tokens at min_frequency %d%n",
                    result.vocab().size(), config.minFrequency());
        }
        stats.put("merges", result.merges().size());
        stats.put("distinct_words", words.distinctWords());
        stats.put("train_seconds", round(countSeconds + mergeSeconds));
    }

    private static Path requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new StageInputException(file + ": tokenizer file not found (key 'tokenizer': an existing"
                    + " tokenizer.json, e.g. a trained checkpoint's or a Hub model's, or a vocab.json with merges.txt beside it)");
        }
        return file;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
