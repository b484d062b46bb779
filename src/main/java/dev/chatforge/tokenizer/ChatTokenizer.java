package dev.chatforge.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.chatforge.chat.ChatTemplate;
import dev.chatforge.data.Turn;
import dev.chatforge.io.StageInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes and decodes with a byte-level BPE {@code tokenizer.json}: the one encoder of chatforge,
 * used by tokenize for the corpus and by finetune, generate and chat for prompts.
 *
 * <p>The ids are Hugging Face's: encoding goes through DJL's {@link HuggingFaceTokenizer}
 * (without truncation, padding or added special tokens; DJL's defaults would cut at 512 tokens).
 * It is made fast by the structure of GPT-2's scheme: text is first split at special tokens,
 * then into words by {@link PreTokenizer}, and BPE never merges across words; so each distinct
 * word is encoded once by the native tokenizer and its ids are reused from a cache. Text whose
 * characters this JVM might classify differently from the native library (unassigned code
 * points) is handed to the native tokenizer whole. Tests check the result equals DJL's encoding
 * of the whole text.
 *
 * <p>Thread-safe. Close it to release the native tokenizer.
 */
public final class ChatTokenizer implements AutoCloseable {
    /** Words longer than this are not cached (rare, long runs of symbols or spaces). */
    private static final int MAX_CACHED_WORD = 48;
    /** Bounds the cache's memory: beyond this many words, new words are encoded per batch. */
    private static final int MAX_CACHE_ENTRIES = 1 << 19;

    private final Path path;
    private final TokenizerJson json;
    private final HuggingFaceTokenizer hf;
    private final Map<String, Integer> addedIds = new LinkedHashMap<>();
    private final Map<String, Integer> specialIds = new LinkedHashMap<>();
    private final boolean[] isSpecial;
    private final SpecialTokenSplitter splitter;
    private final byte[][] tokenBytes;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

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

    /** Special tokens and their ids, in id order. */
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

    /** Encodes text; special tokens written in it become their ids. */
    public int[] encode(String text) {
        return encodeAll(List.of(text))[0];
    }

    /** Encodes a conversation rendered by {@code template}, with its loss mask. */
    public Encoded encode(ChatTemplate template, List<Turn> turns) {
        return encodeSegments(template.render(turns));
    }

    /** The prompt for the agent's next reply (what generation is conditioned on). */
    public int[] encodeForReply(ChatTemplate template, List<Turn> history) {
        return encodeSegments(template.renderForReply(history)).ids();
    }

    /**
     * Encodes template segments one by one, marking the tokens of trained segments with 1. Equal
     * to encoding the joined text, because every segment boundary sits at a special token.
     */
    public Encoded encodeSegments(List<ChatTemplate.Segment> segments) {
        List<String> texts = new ArrayList<>(segments.size());
        segments.forEach(s -> texts.add(s.text()));
        int[][] parts = encodeAll(texts);
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

    /**
     * Encodes many texts at once: words not yet cached are collected over all of them and
     * encoded in one native batch call, which is what makes corpus encoding fast.
     */
    public int[][] encodeAll(List<String> texts) {
        if (!json.gpt2Split()) {
            return nativeEncode(texts);
        }
        // Pass 1: split every text into pieces (special ids, words, or text for the native
        // tokenizer) and collect the words the cache lacks.
        List<List<Object>> pieces = new ArrayList<>(texts.size());
        LinkedHashMap<String, int[]> misses = new LinkedHashMap<>();
        for (String text : texts) {
            List<Object> out = new ArrayList<>();
            splitAtAddedTokens(text, out, misses);
            pieces.add(out);
        }
        // One native call for every new word (and every piece of text it must see whole).
        if (!misses.isEmpty()) {
            List<String> words = new ArrayList<>(misses.keySet());
            int[][] encoded = nativeEncode(words);
            boolean room = cache.size() < MAX_CACHE_ENTRIES;
            for (int i = 0; i < words.size(); i++) {
                misses.put(words.get(i), encoded[i]);
                if (room && words.get(i).length() <= MAX_CACHED_WORD) {
                    cache.put(words.get(i), encoded[i]);
                }
            }
        }
        // Pass 2: concatenate.
        int[][] result = new int[texts.size()][];
        for (int t = 0; t < texts.size(); t++) {
            List<Object> out = pieces.get(t);
            int n = 0;
            for (Object p : out) {
                n += p instanceof Integer ? 1 : ids(p, misses).length;
            }
            int[] ids = new int[n];
            int at = 0;
            for (Object p : out) {
                if (p instanceof Integer special) {
                    ids[at++] = special;
                } else {
                    int[] w = ids(p, misses);
                    System.arraycopy(w, 0, ids, at, w.length);
                    at += w.length;
                }
            }
            result[t] = ids;
        }
        return result;
    }

    private int[] ids(Object piece, Map<String, int[]> misses) {
        String word = piece instanceof Whole whole ? whole.text() : (String) piece;
        int[] ids = misses.get(word);
        return ids != null ? ids : cache.get(word);
    }

    /** Text the native tokenizer must see in one piece. */
    private record Whole(String text) {}

    private void splitAtAddedTokens(String text, List<Object> out, Map<String, int[]> misses) {
        splitter.split(text, new SpecialTokenSplitter.Sink() {
            @Override
            public void text(int start, int end) {
                splitWords(text, start, end, out, misses);
            }

            @Override
            public void special(String token) {
                out.add(addedIds.get(token));
            }
        });
    }

    private void splitWords(String text, int from, int to, List<Object> out, Map<String, int[]> misses) {
        if (from >= to) {
            return;
        }
        if (!PreTokenizer.isSafe(text, from, to)) {
            String whole = text.substring(from, to);
            out.add(new Whole(whole));
            misses.putIfAbsent(whole, null);
            return;
        }
        PreTokenizer.split(text, from, to, (start, end) -> {
            String word = text.substring(start, end);
            out.add(word);
            if (!cache.containsKey(word)) {
                misses.putIfAbsent(word, null);
            }
        });
    }

    private int[][] nativeEncode(List<String> texts) {
        Encoding[] encodings = hf.batchEncode(texts, false, false);
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

    /** The native tokenizer, for callers that need the Hugging Face view itself (tests, tools). */
    public HuggingFaceTokenizer huggingFace() {
        return hf;
    }

    @Override
    public void close() {
        hf.close();
    }
}
