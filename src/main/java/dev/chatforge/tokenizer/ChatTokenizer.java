package dev.chatforge.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import dev.chatforge.data.LoneSurrogates;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes and decodes with a byte-level BPE {@code tokenizer.json}: the one encoder of chatforge,
 * used by tokenize for the corpus and by finetune, generate and chat for prompts.
 *
 * <p>The ids are Hugging Face's, as DJL's {@link HuggingFaceTokenizer} gives them (no truncation,
 * padding or added special tokens: DJL's defaults would cut at 512 tokens). Encoding is made
 * fast by the structure of GPT-2's scheme: text is split at special tokens first, then into words
 * by {@link PreTokenizer}, and BPE never merges across words; so each distinct word is encoded
 * once and its ids are reused from a cache. A new word is encoded by {@link BpeEncoder}, the same
 * merge rule in Java (measured 1.2 µs of CPU a word against 17 µs native). Words over 64 bytes,
 * text with characters this JVM might classify differently from the native library (unassigned
 * code points), and tokenizers that split otherwise (a normalizer, a prefix space) go to the
 * native tokenizer. Equality with DJL's encoding of the whole text is what the tests check, and
 * {@link #verifyAgainstNative} checks it at run time on the start of every split tokenize writes.
 *
 * <p>Text is text: {@link #encode(String)}, {@link #encodeAll} and the text segments of a
 * template encode a special-token string such as {@code <|end|>} as the ordinary characters it is
 * made of (as tiktoken's {@code encode_ordinary} does), so a user, an agent or a document can never
 * forge a turn; special ids come only from the template's control segments, or from
 * {@link #encodeWithSpecialTokens} where a caller asks for them. Pieces the native tokenizer must
 * encode as ordinary text go to a second native instance without the added tokens. Lone
 * surrogates become U+FFFD before any encoding: one reaching the native library mangled every
 * other text of the same call.
 *
 * <p>Thread-safe. Close it to release the native tokenizer.
 */
public final class ChatTokenizer implements AutoCloseable {
    /** Words longer than this are not cached (rare, long runs of symbols or spaces). */
    private static final int MAX_CACHED_WORD = 48;
    /** Bounds each cache's memory: beyond this many words, new words are encoded per call. */
    private static final int MAX_CACHE_ENTRIES = 1 << 19;

    private final Path path;
    private final TokenizerJson json;
    private final HuggingFaceTokenizer hf;
    /** The same tokenizer without its added tokens: encodes their strings as ordinary text. Lazy. */
    private volatile HuggingFaceTokenizer ordinaryHf;
    private final Map<String, Integer> addedIds = new LinkedHashMap<>();
    private final Map<String, Integer> specialIds = new LinkedHashMap<>();
    private final boolean[] isSpecial;
    private final SpecialTokenSplitter splitter;
    /** Encodes new words in Java (checked equal to the native ids); null: all go native. */
    private final BpeEncoder bpe;
    /** A special token used to join pieces for one native call, and its id (-1: none). */
    private final String separator;
    private final int separatorId;
    private final byte[][] tokenBytes;
    /** One word cache per thread: no locking; a miss costs only a Java BPE run (~1 µs). */
    private final ThreadLocal<WordCache> caches = ThreadLocal.withInitial(() -> new WordCache(MAX_CACHE_ENTRIES));

    private ChatTokenizer(Path path, TokenizerJson json, HuggingFaceTokenizer hf) {
        this.path = path;
        this.json = json;
        this.hf = hf;
        this.isSpecial = new boolean[json.vocabSize()];
        for (TokenizerJson.AddedToken t : json.addedTokens()) {
            addedIds.put(t.content(), t.id());
            if (t.special()) {
                specialIds.put(t.content(), t.id());
                isSpecial[t.id()] = true;
            }
        }
        splitter = new SpecialTokenSplitter(addedIds.keySet());
        bpe = json.gpt2Split() ? BpeEncoder.of(json) : null;
        separator = specialIds.isEmpty() ? null : specialIds.keySet().iterator().next();
        separatorId = separator == null ? -1 : specialIds.get(separator);
        tokenBytes = new byte[json.vocabSize()][];
        for (int id = 0; id < json.vocabSize(); id++) {
            String token = json.vocab().get(id);
            byte[] bytes = addedIds.containsKey(token) ? null : ByteLevel.decode(token);
            tokenBytes[id] = bytes != null ? bytes : token.getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * Loads a {@code tokenizer.json}; a file that is not a byte-level BPE is a
     * {@link StageInputException} naming it and the problem.
     */
    public static ChatTokenizer load(Path tokenizerJson) {
        TokenizerJson json = TokenizerJson.read(tokenizerJson);
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false");
        try {
            return new ChatTokenizer(tokenizerJson, json, HuggingFaceTokenizer.newInstance(tokenizerJson, options));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + tokenizerJson + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new StageInputException(tokenizerJson + ": the Hugging Face tokenizer cannot load it: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** Number of ids: every id this tokenizer produces is below it. */
    public int vocabSize() {
        return json.vocabSize();
    }

    /** Special tokens and their ids, in the order of the file's {@code added_tokens}. */
    public Map<String, Integer> specialTokens() {
        return Collections.unmodifiableMap(specialIds);
    }

    /** The id of a special token, or a {@link StageInputException} naming the tokenizer file. */
    public int specialTokenId(String token) {
        Integer id = specialIds.get(token);
        if (id == null) {
            throw new StageInputException(path + ": has no special token " + token);
        }
        return id;
    }

    /** The special tokens of {@code needed} this tokenizer lacks, in the given order. */
    public List<String> missingSpecialTokens(List<String> needed) {
        List<String> missing = new ArrayList<>();
        for (String token : needed) {
            if (!specialIds.containsKey(token)) {
                missing.add(token);
            }
        }
        return missing;
    }

    public boolean isSpecial(int id) {
        return id >= 0 && id < isSpecial.length && isSpecial[id];
    }

    /** The id of {@code <|endoftext|>}, the document separator. */
    public int endOfTextId() {
        return specialTokenId(ChatTemplate.END_OF_TEXT);
    }

    /** The id of {@code <|end|>}, where generation of a reply stops. */
    public int endOfTurnId() {
        return specialTokenId(ChatTemplate.END_OF_TURN);
    }

    // ---------------------------------------------------------------------------------------
    // encoding

    /** Ids and loss mask (1 = trained) of encoded segments, aligned one to one. */
    public record Encoded(int[] ids, byte[] mask) {
        public int size() {
            return ids.length;
        }
    }

    /** Encodes text as ordinary text: a special-token string in it stays characters. */
    public int[] encode(String text) {
        return encodeAll(List.of(text))[0];
    }

    /**
     * Encodes text in which special-token strings become their ids: only for text whose author
     * writes the template's tokens on purpose (e.g. {@code generate --special-tokens}).
     */
    public int[] encodeWithSpecialTokens(String text) {
        return encode(List.of(text), true)[0];
    }

    /** Encodes a conversation rendered by {@code template}, with its loss mask. */
    public Encoded encode(ChatTemplate template, List<Turn> turns) {
        return encodeSegments(template.render(turns));
    }

    /**
     * Segments as a document: {@code <|endoftext|>} first, as every training conversation is
     * packed (ConversationPacker) and every chat prompt starts; the exported Jinja template
     * renders exactly these ids (TransformersFiles, ExportedChatTemplateIdsTest).
     */
    public int[] encodeDocument(List<ChatTemplate.Segment> segments) {
        int[] body = encodeSegments(segments).ids();
        int[] ids = new int[body.length + 1];
        ids[0] = endOfTextId();
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    /** The prompt for the agent's next reply (what generation is conditioned on). */
    public int[] encodeForReply(ChatTemplate template, List<Turn> history) {
        return encodeSegments(template.renderForReply(history)).ids();
    }

    /**
     * Encodes template segments one by one, marking the tokens of trained segments with 1: a
     * control segment is its special token's id, any other segment ordinary text.
     */
    public Encoded encodeSegments(List<ChatTemplate.Segment> segments) {
        List<String> texts = new ArrayList<>(segments.size());
        for (ChatTemplate.Segment s : segments) {
            if (!s.control()) {
                texts.add(s.text());
            }
        }
        int[][] encoded = encodeAll(texts);
        int[][] parts = new int[segments.size()][];
        for (int i = 0, t = 0; i < parts.length; i++) {
            ChatTemplate.Segment s = segments.get(i);
            parts[i] = s.control() ? new int[] {controlId(s.text())} : encoded[t++];
        }
        int total = 0;
        for (int[] p : parts) {
            total += p.length;
        }
        int[] ids = new int[total];
        byte[] mask = new byte[total];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, ids, at, parts[i].length);
            if (segments.get(i).trained()) {
                Arrays.fill(mask, at, at + parts[i].length, (byte) 1);
            }
            at += parts[i].length;
        }
        return new Encoded(ids, mask);
    }

    /** Whether {@link #controlId} knows {@code token}. */
    public boolean hasAddedToken(String token) {
        return addedIds.containsKey(token);
    }

    /** The id of a template's special token; a tokenizer without it cannot render the template. */
    public int controlId(String token) {
        Integer id = addedIds.get(token);
        if (id == null) {
            throw new StageInputException(path + ": has no special token " + token + " that the chat template needs");
        }
        return id;
    }

    /**
     * Encodes many texts at once as ordinary text: the words not yet cached are collected over
     * all of them and encoded together, then every text is assembled from cached ids.
     */
    public int[][] encodeAll(List<String> texts) {
        return encode(texts, false);
    }

    private int[][] encode(List<String> rawTexts, boolean specials) {
        List<String> texts = new ArrayList<>(rawTexts.size());
        rawTexts.forEach(t -> texts.add(LoneSurrogates.replace(t)));
        if (!json.gpt2Split()) {
            return specials ? nativeEncode(hf, texts) : nativeEncode(ordinaryHf(), texts);
        }
        WordCache cache = caches.get();
        // Pass 1: known words and special tokens become ids; each new word or piece of text the
        // native tokenizer must see whole becomes a placeholder -(index + 1) into `pending`.
        Pending pending = new Pending();
        IntList[] outs = new IntList[texts.size()];
        for (int t = 0; t < texts.size(); t++) {
            String text = texts.get(t);
            IntList out = new IntList(text.length() / 3 + 4);
            outs[t] = out;
            if (!specials) {
                encodeRange(text, 0, text.length(), out, cache, pending);
                continue;
            }
            splitter.split(text, new SpecialTokenSplitter.Sink() {
                @Override
                public void text(int start, int end) {
                    encodeRange(text, start, end, out, cache, pending);
                }

                @Override
                public void special(String token) {
                    out.add(addedIds.get(token));
                }
            });
        }
        int[][] resolved = pending.resolve(cache);
        // Pass 2: replace the placeholders.
        int[][] result = new int[texts.size()][];
        for (int t = 0; t < texts.size(); t++) {
            IntList out = outs[t];
            int n = 0;
            for (int i = 0; i < out.size(); i++) {
                int v = out.get(i);
                n += v >= 0 ? 1 : resolved[-v - 1].length;
            }
            int[] ids = new int[n];
            int at = 0;
            for (int i = 0; i < out.size(); i++) {
                int v = out.get(i);
                if (v >= 0) {
                    ids[at++] = v;
                } else {
                    int[] w = resolved[-v - 1];
                    System.arraycopy(w, 0, ids, at, w.length);
                    at += w.length;
                }
            }
            result[t] = ids;
        }
        return result;
    }

    private void encodeRange(String text, int from, int to, IntList out, WordCache cache, Pending pending) {
        if (!PreTokenizer.isSafe(text, from, to)) {
            out.add(pending.placeholder(text.substring(from, to), true));
            return;
        }
        for (int start = from; start < to; ) {
            int end = PreTokenizer.pieceEnd(text, start, to);
            int[] ids = cache.get(text, start, end, WordCache.hash(text, start, end));
            if (ids != null) {
                out.addAll(ids);
            } else {
                out.add(pending.placeholder(text.substring(start, end), false));
            }
            start = end;
        }
    }

    /** What one {@link #encodeAll} call still has to encode: new words and whole pieces. */
    private final class Pending {
        private final Map<String, Integer> indexOfWord = new HashMap<>();
        private final Map<String, Integer> indexOfWhole = new HashMap<>();
        private final List<String> items = new ArrayList<>();
        private final List<Boolean> whole = new ArrayList<>();

        int placeholder(String piece, boolean isWhole) {
            Map<String, Integer> index = isWhole ? indexOfWhole : indexOfWord;
            Integer k = index.get(piece);
            if (k == null) {
                k = items.size();
                index.put(piece, k);
                items.add(piece);
                whole.add(isWhole);
            }
            return -(k + 1);
        }

        /** Encodes every pending piece; new words also go into the cache. */
        int[][] resolve(WordCache cache) {
            int[][] out = new int[items.size()][];
            List<String> words = new ArrayList<>();
            List<String> wholes = new ArrayList<>();
            for (int k = 0; k < items.size(); k++) {
                (whole.get(k) ? wholes : words).add(items.get(k));
            }
            int[][] wordIds = words.isEmpty() ? new int[0][] : encodeWords(words);
            int[][] wholeIds = wholes.isEmpty() ? new int[0][] : nativeEncodeWords(wholes);
            int w = 0;
            int h = 0;
            for (int k = 0; k < items.size(); k++) {
                if (whole.get(k)) {
                    out[k] = wholeIds[h++];
                } else {
                    out[k] = wordIds[w++];
                    if (items.get(k).length() <= MAX_CACHED_WORD) {
                        cache.put(items.get(k), out[k]);
                    }
                }
            }
            return out;
        }
    }

    /** New words through {@link BpeEncoder}; long ones and unusual text through the native tokenizer. */
    private int[][] encodeWords(List<String> words) {
        if (bpe == null) {
            return nativeEncodeWords(words);
        }
        int[][] out = new int[words.size()][];
        List<String> rest = new ArrayList<>();
        List<Integer> restAt = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            out[i] = bpe.encode(w);
            if (out[i] == null) {
                rest.add(w);
                restAt.add(i);
            }
        }
        if (!rest.isEmpty()) {
            int[][] encoded = nativeEncodeWords(rest);
            for (int k = 0; k < encoded.length; k++) {
                out[restAt.get(k)] = encoded[k];
            }
        }
        return out;
    }

    /**
     * Encodes special-free pieces of text with as few native calls as possible: they are joined
     * with a special token between them, which the native tokenizer splits at before anything
     * else, so each piece is encoded exactly as if alone; the ids are then cut at that token.
     * (A batch of one-word texts measured ~26 µs a word, mostly DJL's per-encoding JNI calls.)
     */
    private int[][] nativeEncodeWords(List<String> words) {
        if (separator == null) {
            return nativeEncode(ordinaryHf(), words);
        }
        // Ordinary text that spells an added token cannot go to the tokenizer that has it.
        List<Integer> spelled = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            if (splitter.contains(words.get(i))) {
                spelled.add(i);
            }
        }
        if (!spelled.isEmpty()) {
            List<String> plain = new ArrayList<>();
            List<String> spelling = new ArrayList<>();
            for (int i = 0, k = 0; i < words.size(); i++) {
                if (k < spelled.size() && spelled.get(k) == i) {
                    spelling.add(words.get(i));
                    k++;
                } else {
                    plain.add(words.get(i));
                }
            }
            int[][] plainIds = plain.isEmpty() ? new int[0][] : nativeEncodeWords(plain);
            int[][] spellingIds = nativeEncode(ordinaryHf(), spelling);
            int[][] out = new int[words.size()][];
            for (int i = 0, k = 0, p = 0; i < words.size(); i++) {
                out[i] = k < spelled.size() && spelled.get(k) == i ? spellingIds[k++] : plainIds[p++];
            }
            return out;
        }
        int[][] out = new int[words.size()][];
        int from = 0;
        while (from < words.size()) {
            StringBuilder joined = new StringBuilder();
            int to = from;
            while (to < words.size() && (to == from || joined.length() < (1 << 20))) {
                if (to > from) {
                    joined.append(separator);
                }
                joined.append(words.get(to++));
            }
            long[] ids = nativeIds(joined.toString());
            int part = from;
            int start = 0;
            boolean ok = true;
            for (int i = 0; i <= ids.length && ok; i++) {
                if (i == ids.length || ids[i] == separatorId) {
                    if (part >= to) {
                        ok = false;
                        break;
                    }
                    int[] p = new int[i - start];
                    for (int k = 0; k < p.length; k++) {
                        p[k] = (int) ids[start + k];
                    }
                    out[part++] = p;
                    start = i + 1;
                }
            }
            if (!ok || part != to) {
                // A piece interacted with the separator (only possible with unusual added tokens):
                // encode these pieces one by one instead.
                int[][] single = nativeEncode(hf, words.subList(from, to));
                System.arraycopy(single, 0, out, from, single.length);
            }
            from = to;
        }
        return out;
    }

    /**
     * The ids of one text from the native tokenizer, without building DJL's {@link Encoding}
     * (tokens, offsets, masks as Java objects: a fifth of the cost here). This is exactly what
     * {@code hf.encode(text, false, false).getIds()} does: with chatforge's options DJL's text
     * preparation is the identity (no prefix space, lower-casing or accent stripping).
     */
    private long[] nativeIds(String text) {
        text = LoneSurrogates.replace(text);
        long encoding = TokenizersLibrary.LIB.encode(hf.getHandle(), text, false);
        try {
            return TokenizersLibrary.LIB.getTokenIds(encoding);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    private static int[][] nativeEncode(HuggingFaceTokenizer tokenizer, List<String> texts) {
        List<String> clean = new ArrayList<>(texts.size());
        texts.forEach(t -> clean.add(LoneSurrogates.replace(t)));
        Encoding[] encodings = tokenizer.batchEncode(clean, false, false);
        int[][] out = new int[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            long[] ids = encodings[i].getIds();
            int[] ints = new int[ids.length];
            for (int k = 0; k < ids.length; k++) {
                ints[k] = (int) ids[k];
            }
            out[i] = ints;
        }
        return out;
    }

    /**
     * The native tokenizer without added tokens, loaded on first use from the same file: Hugging
     * Face matches added tokens before anything else, with no option to encode them as text.
     */
    private HuggingFaceTokenizer ordinaryHf() {
        HuggingFaceTokenizer h = ordinaryHf;
        if (h == null) {
            synchronized (this) {
                h = ordinaryHf;
                if (h == null) {
                    try {
                        ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(path.toFile());
                        tree.putArray("added_tokens");
                        byte[] bytes = Json.MAPPER.writeValueAsBytes(tree);
                        h = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), Map.of(
                                "addSpecialTokens", "false", "truncation", "false", "padding", "false"));
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
                    }
                    ordinaryHf = h;
                }
            }
        }
        return h;
    }

    /**
     * Checks that {@link #encodeAll} gives the native tokenizer's ids for {@code texts}, each
     * encoded whole by Hugging Face as ordinary text; tokenize runs this on the first batch of
     * every split so a disagreement can never pass silently. Throws {@link IllegalStateException}
     * naming the text.
     */
    public void verifyAgainstNative(List<String> texts) {
        int[][] ours = encodeAll(texts);
        int[][] theirs = nativeEncode(ordinaryHf(), texts);
        for (int i = 0; i < texts.size(); i++) {
            if (!Arrays.equals(ours[i], theirs[i])) {
                String text = texts.get(i);
                throw new IllegalStateException(path + ": chatforge's encoder and the Hugging Face tokenizer disagree on "
                        + "text #" + i + " (" + (text.length() > 80 ? text.substring(0, 80) + "…" : text)
                        + "); please report this with the text");
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // decoding

    /** The bytes a token stands for (a special token's text for special ids). */
    public byte[] tokenBytes(int id) {
        return tokenBytes[id];
    }

    /** The bytes of a sequence of ids; may end inside a UTF-8 character (streamed generation). */
    public byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (id < 0 || id >= tokenBytes.length) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + tokenBytes.length
                        + ") of " + path);
            }
            out.writeBytes(tokenBytes[id]);
        }
        return out.toByteArray();
    }

    /** The text of a sequence of ids, special tokens included; exact inverse of {@link #encode(String)}. */
    public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        caches.remove(); // the calling thread's cache; worker threads' caches go with their threads
        hf.close();
        if (ordinaryHf != null) {
            ordinaryHf.close();
        }
    }
}
