package dev.chatforge.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the distinct pre-tokenized words of text, the input of {@link BpeTrainer}: memory grows
 * with the number of distinct words, not with the corpus. Special tokens are cut out first, so
 * they are never part of a word. One counter per thread; {@link #addAll} merges them.
 */
public final class WordCounter {
    private final SpecialTokenSplitter specials;
    private final HashMap<String, long[]> counts = new HashMap<>();
    private long words;

    public WordCounter(List<String> specialTokens) {
        this.specials = new SpecialTokenSplitter(specialTokens);
    }

    /** Counts the words of one text. */
    public void add(String text) {
        specials.split(text, new SpecialTokenSplitter.Sink() {
            @Override
            public void text(int start, int end) {
                for (int s = start; s < end; ) {
                    int e = PreTokenizer.pieceEnd(text, s, end);
                    counts.computeIfAbsent(text.substring(s, e), k -> new long[1])[0]++;
                    words++;
                    s = e;
                }
            }

            @Override
            public void special(String token) {
                // never part of a word
            }
        });
    }

    /** Adds another counter's counts to this one. */
    public void addAll(WordCounter other) {
        for (Map.Entry<String, long[]> e : other.counts.entrySet()) {
            long[] mine = counts.putIfAbsent(e.getKey(), e.getValue());
            if (mine != null) {
                mine[0] += e.getValue()[0];
            }
        }
        words += other.words;
    }

    /** Counts the words of many texts on {@code threads} threads. */
    public static WordCounter countAll(List<String> texts, List<String> specialTokens, int threads) {
        WordCounter total = new WordCounter(specialTokens);
        int batch = 64;
        java.util.Iterator<List<String>> batches = new java.util.Iterator<>() {
            int at = 0;

            @Override
            public boolean hasNext() {
                return at < texts.size();
            }

            @Override
            public List<String> next() {
                List<String> b = texts.subList(at, Math.min(texts.size(), at + batch));
                at += batch;
                return b;
            }
        };
        ParallelBatches.run(batches, b -> {
            WordCounter c = new WordCounter(specialTokens);
            b.forEach(c::add);
            return c;
        }, total::addAll, threads);
        return total;
    }

    public int distinctWords() {
        return counts.size();
    }

    public long totalWords() {
        return words;
    }

    /** The counts, for {@link BpeTrainer#train}. */
    public Map<String, Long> counts() {
        Map<String, Long> out = new HashMap<>(counts.size() * 2);
        counts.forEach((k, v) -> out.put(k, v[0]));
        return out;
    }
}
