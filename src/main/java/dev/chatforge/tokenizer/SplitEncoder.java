package dev.chatforge.tokenizer;

import dev.chatforge.data.Record;
import dev.chatforge.io.Progress;
import dev.chatforge.io.StageInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes a prepared split into a token file: each record's rendered text followed by
 * {@code <|endoftext|>}, batches encoded in parallel and written in order. The loss mask marks
 * every token of a document (separator included) and, in a conversation, the tokens of its
 * trained segments (the agent's replies with their {@code <|end|>}); the separator after a
 * conversation is not trained. The mask is stored only when the split holds a conversation.
 */
public final class SplitEncoder {
    /** What was written, for the manifest. */
    public record Stats(long records, long conversations, long tokens, long trainedTokens, long textBytes, boolean hasMask) {}

    private record Encoded(int[] ids, byte[] mask, int size, long records, long conversations, long textBytes,
                           long fileBytes) {}

    private final ChatTokenizer tokenizer;
    private final ChatTemplate template;
    private final int threads;
    private final int endOfText;
    private final List<String> missingForChat;
    private final String tokenizerOrigin;

    /**
     * @param missingForChat special tokens the template needs that the tokenizer lacks: an
     *                       error at the first conversation, fine for documents only
     */
    public SplitEncoder(ChatTokenizer tokenizer, ChatTemplate template, int threads, List<String> missingForChat,
                 String tokenizerOrigin) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.threads = threads;
        this.endOfText = tokenizer.endOfTextId();
        this.missingForChat = missingForChat;
        this.tokenizerOrigin = tokenizerOrigin;
    }

    public Stats encode(Path jsonl, Path target, Progress progress) {
        long[] totals = new long[5]; // records, conversations, textBytes, trained, file bytes read
        try (PreparedSplit split = new PreparedSplit(jsonl, 1 << 19);
             TokenFileWriter out = new TokenFileWriter(target, tokenizer.vocabSize(), true)) {
            ParallelBatches.run(split, this::encodeBatch, batch -> {
                for (int i = 0; i < batch.size(); i++) {
                    out.write(batch.ids()[i], batch.mask()[i] != 0);
                    totals[3] += batch.mask()[i];
                }
                totals[0] += batch.records();
                totals[1] += batch.conversations();
                totals[2] += batch.textBytes();
                totals[4] += batch.fileBytes();
                progress.update(totals[4]);
            }, threads);
            boolean hasMask = totals[1] > 0;
            long tokens = out.tokens();
            out.finish(hasMask);
            return new Stats(totals[0], totals[1], tokens, hasMask ? totals[3] : tokens, totals[2], hasMask);
        }
    }

    private Encoded encodeBatch(PreparedSplit.Batch batch) {
        List<Record> records = batch.records();
        List<List<ChatTemplate.Segment>> rendered = new ArrayList<>(records.size());
        List<String> texts = new ArrayList<>();
        long textBytes = 0;
        long conversations = 0;
        for (Record r : records) {
            if (r.isConversation() && !missingForChat.isEmpty()) {
                throw new StageInputException(tokenizerOrigin + ": lacks special token(s) " + missingForChat
                        + " that the '" + template.wireName() + "' chat template needs for the conversations in "
                        + batch.file() + " (key 'tokenizer')");
            }
            List<ChatTemplate.Segment> segments = PreparedSplit.render(r, template);
            rendered.add(segments);
            for (ChatTemplate.Segment s : segments) {
                if (!s.control()) {
                    texts.add(s.text()); // content: encoded as ordinary text, whatever it spells
                }
                textBytes += utf8Length(s.text());
            }
            conversations += r.isConversation() ? 1 : 0;
        }
        if (batch.firstLine() == 1) {
            // The start of every split (64K characters) is also encoded by Hugging Face and compared.
            tokenizer.verifyAgainstNative(start(texts, 65_536));
        }
        int[][] parts = tokenizer.encodeAll(texts);
        int total = records.size();
        for (int[] p : parts) {
            total += p.length;
        }
        for (List<ChatTemplate.Segment> segments : rendered) {
            for (ChatTemplate.Segment s : segments) {
                total += s.control() ? 1 : 0;
            }
        }
        int[] ids = new int[total];
        byte[] mask = new byte[total];
        int at = 0;
        int part = 0;
        for (int r = 0; r < records.size(); r++) {
            for (ChatTemplate.Segment s : rendered.get(r)) {
                int[] p = s.control() ? new int[] {tokenizer.controlId(s.text())} : parts[part++];
                System.arraycopy(p, 0, ids, at, p.length);
                if (s.trained()) {
                    Arrays.fill(mask, at, at + p.length, (byte) 1);
                }
                at += p.length;
            }
            ids[at] = endOfText;
            mask[at] = records.get(r).isConversation() ? (byte) 0 : (byte) 1;
            at++;
        }
        return new Encoded(ids, mask, total, records.size(), conversations, textBytes, batch.bytes());
    }

    /**
     * The first {@code chars} characters of {@code texts}: whole texts, then a prefix of the one
     * that crosses the limit. A 10 MB first document once went whole to the native tokenizer,
     * whose per-token records took over 3 GB; any prefix is text both encoders must agree on.
     */
    static List<String> start(List<String> texts, int chars) {
        List<String> sample = new ArrayList<>();
        int left = chars;
        for (String text : texts) {
            if (left <= 0) {
                break;
            }
            if (text.length() <= left) {
                sample.add(text);
                left -= text.length();
            } else {
                int cut = Character.isHighSurrogate(text.charAt(left - 1)) ? left - 1 : left;
                sample.add(text.substring(0, cut));
                break;
            }
        }
        return sample;
    }

    /** UTF-8 length without encoding (the per-record cost adds up over a corpus). */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++; // a lone surrogate: Java's encoder writes '?'
            } else {
                n += 3;
            }
        }
        return n;
    }
}
