package dev.chatforge.train;

import dev.chatforge.io.Hashing;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
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

    /** Whether text gets the same ids from both tokenizer files: today, when they are the same file. */
    static boolean sameIds(Path checkpointTokenizer, Path dataTokenizer) {
        return Hashing.sha256(checkpointTokenizer).equals(Hashing.sha256(dataTokenizer));
    }
}
