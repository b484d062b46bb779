package dev.chatforge.train;

import dev.chatforge.io.Hashing;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.TokenizedData;
import dev.chatforge.tokenizer.TokenizerExtension;
import dev.chatforge.tokenizer.VocabAndMerges;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one check that token data fits a checkpoint (eval, finetune, and train's resume): the ids
 * must mean the same text. The vocabulary size must be the checkpoint's, and when the checkpoint
 * carries its tokenizer.json, the data's must be the same file (compared by content hash: a
 * vocabulary of the same size can still map text to other ids). A relaxed rule (e.g. the
 * checkpoint's tokenizer plus appended special tokens) belongs in {@link #sameIds}.
 */
public final class TokenizerCheck {
    private TokenizerCheck() {}

    /**
     * Throws, naming both files and the fix, when {@code data} was not tokenized with the
     * checkpoint's tokenizer. Returns the checkpoint's tokenizer.json, or null when it has none
     * and {@code required} is false (an imported model: only the vocabulary size is checked).
     */
    public static Path requireSameTokenizer(Path checkpoint, GPT2Config modelConfig, TokenizedData data, boolean required) {
        Path own = checkpoint.resolve(Checkpoint.TOKENIZER);
        Path theirs = data.tokenizer();
        String hint = "; tokenize the data with the checkpoint's tokenizer (tokenize section: tokenizer: " + own + ")";
        if (data.vocabSize() != modelConfig.vocabSize()) {
            throw new StageInputException(theirs + ": vocabulary of " + data.vocabSize() + " tokens, but the checkpoint "
                    + checkpoint + " has vocab_size " + modelConfig.vocabSize() + hint);
        }
        if (!Files.exists(own)) {
            if (required) {
                throw new StageInputException(own + ": not found; the checkpoint must carry the tokenizer it was trained "
                        + "with, to check that " + data.dir() + " was tokenized with it");
            }
            return null;
        }
        if (!sameIds(own, theirs)) {
            throw new StageInputException(theirs + ": differs from the checkpoint's " + own
                    + " (the same text would get other ids)" + hint);
        }
        return own;
    }

    /**
     * {@link #requireSameTokenizer}, relaxed for a pretrained model's tokenizer to which tokenize
     * appended special tokens (the chat template's): old text keeps its ids, and the caller grows
     * the model to {@link TokenizerExtension#vocabSize()} (Checkpoint.withVocabSize). The
     * checkpoint's tokenizer may be a tokenizer.json or, in an older Hub folder, vocab.json +
     * merges.txt. Returns the data's tokenizer and what was appended (nothing when it is the same);
     * null only when the checkpoint has no tokenizer and {@code required} is false.
     */
    public static TokenizerExtension requireSameOrExtended(Path checkpoint, GPT2Config modelConfig, TokenizedData data,
                                                           boolean required) {
        Path own = VocabAndMerges.tokenizerOf(checkpoint);
        if (own != null && data.vocabSize() > modelConfig.vocabSize()) {
            TokenizerExtension extension = null;
            try {
                extension = TokenizerExtension.of(own, data.tokenizer(), "");
            } catch (StageInputException e) {
                // not an extension: the strict check below reports the vocabulary mismatch
            }
            if (extension != null && extension.baseVocab() == modelConfig.vocabSize()
                    && extension.vocabSize() == data.vocabSize()) {
                return extension;
            }
        }
        if (own != null && !Files.exists(checkpoint.resolve(Checkpoint.TOKENIZER))) {
            // vocab.json + merges.txt: the data's tokenizer.json is their conversion (TokenizeStage writes it)
            TokenizerExtension.of(own, data.tokenizer(), "; tokenize the data with tokenizer: "
                    + checkpoint.resolve(VocabAndMerges.VOCAB));
            if (data.vocabSize() != modelConfig.vocabSize()) {
                requireSameTokenizer(checkpoint, modelConfig, data, required); // throws the vocabulary message
            }
            return new TokenizerExtension(own, modelConfig.vocabSize(), java.util.List.of());
        }
        Path same = requireSameTokenizer(checkpoint, modelConfig, data, required);
        return same == null ? null : new TokenizerExtension(same, modelConfig.vocabSize(), java.util.List.of());
    }

    /** Whether text gets the same ids from both tokenizer files: today, when they are the same file. */
    static boolean sameIds(Path checkpointTokenizer, Path dataTokenizer) {
        return Hashing.sha256(checkpointTokenizer).equals(Hashing.sha256(dataTokenizer));
    }
}
