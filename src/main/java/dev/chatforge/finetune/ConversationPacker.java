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
 * each piece keeps the conversation's opening (its persona turn) when it fits. A single exchange
 * longer than a window is cut into consecutive pieces so that every one of its trained tokens
 * is trained exactly once: each piece trains the next tokens (at most half of what the window
 * has room for) and fills the rest with the tokens just before them as untrained context,
 * after the persona where it fits (as sliding-window evaluation keeps context with a stride).
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
        long trainable = 0;
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
                    byte[] weights = weights(conversationMask);
                    for (byte w : weights) {
                        trainable += w;
                    }
                    packConversation(conversation, weights, out);
                }
                start = i + 1;
            }
        }
        out.closeWindow();
        return new PackedWindows(windowLength, out.ids(), out.weights(), conversations, out.pieces, out.trained, out.padding,
                trainable);
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
            out.addPiece(ids, weights, 0, false, 0, 0, n);
            return;
        }
        List<Integer> starts = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            if (exchangeStarts.contains(ids[i])) {
                starts.add(i);
            }
        }
        // {prefix, context, from, to, prefix trained (1) or context (0)}, found from the end backwards
        List<int[]> pieces = new ArrayList<>();
        if (starts.isEmpty()) {
            // Not turn-structured (train_on: all over documents): one long stretch after <|endoftext|>.
            addLongStretch(weights, 1, 1, n, pieces);
        } else {
            int opening = starts.get(0); // <|endoftext|> and the persona turn, if any
            int end = n;
            int k = starts.size() - 1; // the last exchange ending at `end`
            while (k >= 0) {
                if (end - starts.get(k) > windowLength) {
                    // One exchange longer than a window: cut mid-turn, every trained token kept.
                    addLongStretch(weights, opening, starts.get(k), end, pieces);
                } else {
                    int j = k;
                    while (j > 0 && end - starts.get(j - 1) <= windowLength) {
                        j--;
                    }
                    int from = starts.get(j);
                    int prefix = opening + (end - from) <= windowLength ? opening : 0;
                    pieces.add(new int[] {prefix, from, from, end, prefix > 0 && from == opening ? 1 : 0});
                    k = j;
                }
                end = starts.get(k);
                k--;
            }
        }
        for (int p = pieces.size() - 1; p >= 0; p--) {
            int[] piece = pieces.get(p);
            out.addPiece(ids, weights, piece[0], piece[4] == 1, piece[1], piece[2], piece[3]);
        }
    }

    /**
     * Cuts ids[start, end), too long for one window, into pieces that train its tokens in order,
     * each once: a piece trains up to half the room the window leaves after the opening
     * ids[0, opening) (kept first when it takes at most half the window) and takes the tokens
     * just before as context. Appends the pieces last first, as the caller collects them.
     */
    private void addLongStretch(byte[] weights, int opening, int start, int end, List<int[]> pieces) {
        int prefix = opening <= windowLength / 2 ? opening : 0;
        int room = windowLength - prefix;          // the conversation's own tokens per piece
        int stride = Math.max(1, room / 2);        // trained tokens per piece; the rest is context
        int floor = prefix > 0 ? opening : 0;      // context never repeats the prefix
        List<int[]> own = new ArrayList<>();
        int from = start;
        while (from < end && weights[from] == 0) {
            from++;
        }
        while (from < end) {
            int to = Math.min(end, from + stride);
            // The opening is trained with the first piece when the stretch starts right after it.
            boolean first = own.isEmpty() && prefix > 0 && start == opening;
            own.add(new int[] {prefix, Math.max(floor, to - room), from, to, first ? 1 : 0});
            from = to;
            while (from < end && weights[from] == 0) {
                from++;
            }
        }
        for (int p = own.size() - 1; p >= 0; p--) {
            pieces.add(own.get(p));
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

        /**
         * Adds src[0, prefix) then src[context, to) as one piece, trained on src[from, to) only
         * (and on the prefix when {@code prefixTrained}: context is trained in another piece); a
         * piece without trained tokens is skipped.
         */
        void addPiece(int[] src, byte[] w, int prefix, boolean prefixTrained, int context, int from, int to) {
            int length = prefix + (to - context);
            int pieceTrained = 0;
            for (int i = 0; i < prefix && prefixTrained; i++) {
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
            if (prefixTrained) {
                System.arraycopy(w, 0, weights, at, prefix);
            } else {
                Arrays.fill(weights, at, at + prefix, (byte) 0);
            }
            System.arraycopy(src, context, ids, at + prefix, to - context);
            Arrays.fill(weights, at + prefix, at + prefix + (from - context), (byte) 0);
            System.arraycopy(w, from, weights, at + prefix + (from - context), to - from);
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
