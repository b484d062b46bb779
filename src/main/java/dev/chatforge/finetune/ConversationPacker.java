package dev.chatforge.finetune;

import dev.chatforge.io.StageInputException;
import dev.chatforge.tokenizer.TokenSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Turns a conversational token file into training windows for fine-tuning.
 *
 * <p>The tokenize stage writes {@code <|endoftext|>} after every record; each conversation is
 * packed as {@code <|endoftext|>} followed by its tokens, the document start the model knows
 * from pre-training (and what chat prompts begin with). Whole conversations are packed into
 * windows of block_size + 1 tokens one after another, the rest of a window padded with
 * weight-0 tokens, so no window starts in the middle of a turn and no reply is trained without
 * its question. A conversation longer than a window is cut at exchange boundaries (a user turn
 * and what follows it) working back from its end, so the last reply keeps the most context;
 * each piece keeps the conversation's opening (its persona turn) when it fits. Only a single
 * exchange longer than a window is cut mid-turn: it keeps its last tokens.
 *
 * <p>The weights come from the token file's loss mask (1 = agent reply including its
 * end-of-turn), reshaped by {@link TrainOn}. Pieces with no trained token are dropped.
 */
public final class ConversationPacker {
    private final int windowLength;
    private final int endOfText;
    private final Set<Integer> exchangeStarts;
    private final TrainOn trainOn;

    /**
     * @param blockSize      tokens the model sees per window (windows hold one more: the last target)
     * @param endOfText      id of {@code <|endoftext|>}, the conversation separator and padding
     * @param exchangeStarts ids that open an exchange: the user-turn token of each chat template
     *                       ({@code <|user|>}, {@code [INST]})
     */
    public ConversationPacker(int blockSize, int endOfText, Set<Integer> exchangeStarts, TrainOn trainOn) {
        if (blockSize < 2) {
            throw new IllegalArgumentException("block_size must be >= 2, got " + blockSize);
        }
        this.windowLength = blockSize + 1;
        this.endOfText = endOfText;
        this.exchangeStarts = Set.copyOf(exchangeStarts);
        this.trainOn = trainOn;
    }

    /** Packs every conversation of {@code source} (named {@code name} in errors). */
    public PackedWindows pack(TokenSource source, String name) {
        if (!source.hasLossMask() && trainOn != TrainOn.ALL) {
            throw new StageInputException(name + ": has no loss mask, so it is not conversational data; fine-tune on "
                    + "dialogues tokenized by `chatforge tokenize`, or set train_on: all to train on every token");
        }
        long n = source.size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new StageInputException(name + ": " + n + " tokens; fine-tuning data must hold under 2^31 tokens");
        }
        int[] ids = new int[(int) n];
        byte[] mask = new byte[(int) n];
        source.read(0, ids);
        source.readMask(0, mask);

        Builder out = new Builder();
        long conversations = 0;
        int start = 0; // first token after the previous separator
        for (int i = 0; i <= ids.length; i++) {
            if (i == ids.length || ids[i] == endOfText) {
                if (i > start) {
                    conversations++;
                    // Each conversation is packed as <|endoftext|> + its tokens: the separator
                    // the tokenize stage writes after a record marks where the next one begins.
                    int[] conversation = new int[i - start + 1];
                    byte[] conversationMask = new byte[conversation.length];
                    conversation[0] = endOfText;
                    conversationMask[0] = (byte) (trainOn == TrainOn.ALL ? 1 : 0);
                    System.arraycopy(ids, start, conversation, 1, i - start);
                    System.arraycopy(mask, start, conversationMask, 1, i - start);
                    packConversation(conversation, weights(conversationMask), out);
                }
                start = i + 1;
            }
        }
        out.closeWindow();
        return new PackedWindows(windowLength, out.ids(), out.weights(), conversations, out.pieces, out.trained, out.padding);
    }

    /** The conversation's loss weights under {@link #trainOn}. */
    private byte[] weights(byte[] mask) {
        byte[] w = mask.clone();
        switch (trainOn) {
            case AGENT -> { }
            case ALL -> Arrays.fill(w, (byte) 1);
            case LAST_AGENT -> {
                int end = w.length;
                while (end > 0 && w[end - 1] == 0) {
                    end--;
                }
                int begin = end;
                while (begin > 0 && w[begin - 1] == 1) {
                    begin--;
                }
                Arrays.fill(w, 0, begin, (byte) 0);
            }
        }
        return w;
    }

    private void packConversation(int[] ids, byte[] weights, Builder out) {
        int n = ids.length;
        if (n <= windowLength) {
            out.addPiece(ids, weights, 0, 0, n);
            return;
        }
        List<Integer> starts = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            if (exchangeStarts.contains(ids[i])) {
                starts.add(i);
            }
        }
        if (starts.isEmpty()) {
            // Not turn-structured (train_on: all over documents): consecutive window-sized chunks.
            for (int from = 0; from < n; from += windowLength) {
                out.addPiece(ids, weights, 0, from, Math.min(n, from + windowLength));
            }
            return;
        }
        int opening = starts.get(0); // <|endoftext|> and the persona turn, if any
        List<int[]> pieces = new ArrayList<>(); // {prefix, from, to}, found from the end backwards
        int end = n;
        int k = starts.size() - 1; // the last exchange ending at `end`
        while (k >= 0) {
            if (end - starts.get(k) > windowLength) {
                // One exchange longer than a window: unavoidably cut mid-turn, keeping its end.
                pieces.add(new int[] {0, end - windowLength, end});
            } else {
                int j = k;
                while (j > 0 && end - starts.get(j - 1) <= windowLength) {
                    j--;
                }
                int from = starts.get(j);
                int prefix = opening + (end - from) <= windowLength ? opening : 0;
                pieces.add(new int[] {prefix, from, end});
                k = j;
            }
            end = starts.get(k);
            k--;
        }
        for (int p = pieces.size() - 1; p >= 0; p--) {
            int[] piece = pieces.get(p);
            out.addPiece(ids, weights, piece[0], piece[1], piece[2]);
        }
    }

    /** Accumulates windows; a piece that does not fit in the current window starts a new one. */
    private final class Builder {
        private int[] ids = new int[windowLength * 16];
        private byte[] weights = new byte[windowLength * 16];
        private int windows;
        private int used; // tokens in the open window
        long pieces;
        long trained;
        long padding;

        /** Adds src[0, prefix) then src[from, to) as one piece; a piece without trained tokens is skipped. */
        void addPiece(int[] src, byte[] w, int prefix, int from, int to) {
            int length = prefix + (to - from);
            int pieceTrained = 0;
            for (int i = 0; i < prefix; i++) {
                pieceTrained += w[i];
            }
            for (int i = from; i < to; i++) {
                pieceTrained += w[i];
            }
            if (pieceTrained == 0) {
                return;
            }
            if (used > 0 && used + length > windowLength) {
                closeWindow();
            }
            ensureOpen();
            int at = windows * windowLength + used;
            System.arraycopy(src, 0, ids, at, prefix);
            System.arraycopy(w, 0, weights, at, prefix);
            System.arraycopy(src, from, ids, at + prefix, to - from);
            System.arraycopy(w, from, weights, at + prefix, to - from);
            // The first token of a window is never a target: do not count it as trained.
            if (used == 0 && weights[at] == 1) {
                weights[at] = 0;
                pieceTrained--;
            }
            used += length;
            pieces++;
            trained += pieceTrained;
        }

        private void ensureOpen() {
            int needed = (windows + 1) * windowLength;
            if (needed > ids.length) {
                int size = Math.max(needed, ids.length * 2);
                ids = Arrays.copyOf(ids, size);
                weights = Arrays.copyOf(weights, size);
            }
        }

        void closeWindow() {
            if (used == 0) {
                return;
            }
            int at = windows * windowLength;
            Arrays.fill(ids, at + used, at + windowLength, endOfText);
            Arrays.fill(weights, at + used, at + windowLength, (byte) 0);
            padding += windowLength - used;
            windows++;
            used = 0;
        }

        int[] ids() {
            return Arrays.copyOf(ids, windows * windowLength);
        }

        byte[] weights() {
            return Arrays.copyOf(weights, windows * windowLength);
        }
    }
}
