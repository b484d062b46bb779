package dev.chatforge.finetune;

import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.io.StageInputException;
import dev.chatforge.tokenizer.ChatTokenizer;
import dev.chatforge.tokenizer.TokenFile;
import dev.chatforge.train.TokenBatch;
import dev.chatforge.tokenizer.TokenizedData;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Fine-tuning's data: whole conversations of the tokenized dialogues packed into windows, the
 * training split to sample from and fixed validation batches (padding masked out).
 *
 * @param train      the packed training windows
 * @param validation up to eval_windows packed validation windows in batches; empty without a val split
 */
public record PackedDialogues(PackedWindows train, List<TokenBatch> validation) {

    public static PackedDialogues load(TokenizedData data, Path tokenizerFile, int block, TrainOn trainOn, int evalWindows,
                                       int batchSize) {
        ConversationPacker packer = packer(tokenizerFile, block, trainOn);
        PackedWindows train = pack(packer, data.open("train"));
        if (train.count() == 0) {
            throw new StageInputException(data.dir().resolve("train.bin") + ": no conversation has a token to train on "
                    + "(train_on: " + trainOn.wireName() + ")");
        }
        List<TokenBatch> validation = List.of();
        if (data.hasSplit("val")) {
            PackedWindows val = pack(packer, data.open("val"));
            validation = PackedWindowSampler.batches(val, evalWindows, batchSize);
            describe("val", val);
        }
        if (validation.isEmpty()) {
            System.err.println("finetune: warning: " + data.dir() + " has no validation conversations; no early "
                    + "stopping and no best/ checkpoint");
        }
        describe("train", train);
        return new PackedDialogues(train, validation);
    }

    /** Packs whole conversations; an exchange starts at a user turn (either template's opener). */
    private static ConversationPacker packer(Path tokenizerFile, int block, TrainOn trainOn) {
        try (ChatTokenizer tokenizer = ChatTokenizer.load(tokenizerFile)) {
            Set<Integer> exchangeStarts = new HashSet<>();
            for (String opener : List.of(ChatTemplate.USER, ChatTemplate.INST_OPEN)) {
                Integer id = tokenizer.specialTokens().get(opener);
                if (id != null) {
                    exchangeStarts.add(id);
                }
            }
            return new ConversationPacker(block, tokenizer.endOfTextId(), exchangeStarts, trainOn);
        }
    }

    private static PackedWindows pack(ConversationPacker packer, TokenFile file) {
        return packer.pack(file, file.path().toString());
    }

    private static void describe(String split, PackedWindows w) {
        long total = (long) w.count() * w.length();
        System.err.printf(Locale.ROOT, "finetune: %s: %,d conversations → %,d pieces in %,d windows of %d tokens, "
                        + "%,d trained tokens, %.0f%% padding%n", split, w.conversations(), w.pieces(), w.count(), w.length(),
                w.trainedTokens(), total == 0 ? 0 : 100.0 * w.paddingTokens() / total);
        if (w.untrainedTokens() > 0) {
            System.err.printf(Locale.ROOT, "finetune: %s: %,d of %,d tokens marked for training are not trained (each "
                    + "window's first token is only context)%n", split, w.untrainedTokens(), w.trainableTokens());
        }
    }
}
