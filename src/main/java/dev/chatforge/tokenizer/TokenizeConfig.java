package dev.chatforge.tokenizer;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code tokenize:} section.
 *
 * @param input         a prepare output folder (train.jsonl, val.jsonl, manifest.json)
 * @param output        the folder to write tokenizer.json, train.bin, val.bin, manifest.json to
 * @param vocabSize     vocabulary to train, including 256 byte tokens and the special tokens
 *                      (ignored when {@code tokenizer} is given)
 * @param minFrequency  a pair seen fewer times is never merged; stops training early on small data
 * @param specialTokens extra special tokens beyond the ones chatforge always reserves
 * @param tokenizer     an existing byte-level BPE tokenizer.json (or vocab.json with merges.txt
 *                      beside it) to use instead of training, e.g. a checkpoint's or a Hub GPT-2's,
 *                      so fine-tune data matches its ids; special tokens it lacks are appended
 * @param template      how conversations are rendered: "turns" or "inst" (see ChatTemplate)
 * @param overwrite     replace an existing output folder (same as --force)
 */
public record TokenizeConfig(
        Path input,
        Path output,
        int vocabSize,
        int minFrequency,
        List<String> specialTokens,
        Path tokenizer,
        String template,
        boolean overwrite) implements StageConfig {

    /** Largest vocabulary accepted: ids are stored as int32 beyond 65,536, this bounds memory. */
    public static final int MAX_VOCAB = 1 << 20;

    public TokenizeConfig {
        specialTokens = specialTokens == null ? List.of() : List.copyOf(specialTokens);
    }

    public static TokenizeConfig defaults() {
        return new TokenizeConfig(Path.of("data/prepared"), Path.of("data/tokens"), 8192, 2, List.of(), null, "turns",
                false);
    }

    /** Every special token of the trained vocabulary, in id order: the reserved ones, then the extras. */
    public List<String> allSpecialTokens() {
        List<String> all = new java.util.ArrayList<>(ChatTemplate.SPECIAL_TOKENS);
        for (String t : specialTokens) {
            if (!all.contains(t)) {
                all.add(t);
            }
        }
        return all;
    }

    public ChatTemplate chatTemplate() {
        return ChatTemplate.parse(template);
    }

    @Override
    public void validate(Checks checks) {
        checks.required("input", input);
        checks.required("output", output);
        checks.oneOf("template", template, List.of("turns", "inst"));
        checks.check(minFrequency >= 1, "min_frequency", "must be >= 1, got " + minFrequency);
        Set<String> seen = new HashSet<>();
        for (String t : specialTokens) {
            if (t == null || t.isEmpty()) {
                checks.fail("special_tokens", "contains an empty token");
            } else if (ChatTemplate.SPECIAL_TOKENS.contains(t)) {
                checks.fail("special_tokens", "'" + t + "' is always reserved; list only extra tokens");
            } else if (!seen.add(t)) {
                checks.fail("special_tokens", "'" + t + "' is listed twice");
            }
        }
        if (tokenizer == null) {
            int minimum = 256 + ChatTemplate.SPECIAL_TOKENS.size() + specialTokens.size();
            checks.check(vocabSize >= minimum, "vocab_size", "must be at least " + minimum + " (256 byte tokens + "
                    + (minimum - 256) + " special tokens), got " + vocabSize);
            checks.check(vocabSize <= MAX_VOCAB, "vocab_size", "must be at most " + MAX_VOCAB + ", got " + vocabSize);
        }
        if (input != null && output != null && input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            checks.fail("output", "must differ from input (" + input + ")");
        }
    }
}
