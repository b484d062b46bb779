package dev.chatforge.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Learns GPT-2-style byte-level BPE merges from word counts.
 *
 * <p>Ids: 0–255 are the 256 bytes in GPT-2's order ({@link ByteLevel#byteAtRank}), then the
 * special tokens in the order given, then one id per learned token. Special tokens never occur
 * inside words (text is split at them before counting), so they are never split or merged.
 *
 * <p>How it stays fast: it works on distinct words with their counts, never on the corpus;
 * counts every adjacent pair once; and after each merge updates only the counts of the words
 * that contain the merged pair (found through a pair → words index). The best pair comes from a
 * max-heap with lazy deletion: an entry whose count has gone stale is re-inserted with the
 * current count when it surfaces.
 *
 * <p>Which pair is merged: the one with the highest count; ties go to the pair whose
 * (left id, right id) is smallest, so older tokens win and the result is deterministic (the
 * rule Hugging Face's trainer uses too). Training stops when the vocabulary is full, no pair is
 * left, or the best count is below {@code minFrequency}.
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /** A trained vocabulary: token strings by id, merges in priority order, and special ids. */
    public record Result(List<String> vocab, List<String[]> merges, List<Integer> specialIds) {
        /** The {@code tokenizer.json} bytes of this vocabulary. */
        public byte[] toTokenizerJson() {
            return TokenizerJson.render(vocab, merges, specialIds);
        }
    }

    /**
     * @param wordCounts   distinct pre-tokenized words and how often each occurs
     * @param vocabSize    target vocabulary size including bytes and special tokens
     * @param minFrequency a pair seen fewer times than this is not merged
     * @param specials     special tokens, in id order
     */
    public static Result train(Map<String, Long> wordCounts, int vocabSize, int minFrequency, List<String> specials) {
        if (vocabSize < 256 + specials.size()) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is below 256 byte tokens + "
                    + specials.size() + " special tokens");
        }
        List<String> vocab = new ArrayList<>(vocabSize);
        Map<String, Integer> idOf = new HashMap<>();
        int[] idOfByte = new int[256];
        for (int i = 0; i < 256; i++) {
            int b = ByteLevel.byteAtRank(i);
            idOfByte[b] = i;
            String token = String.valueOf(ByteLevel.charOf(b));
            vocab.add(token);
            idOf.put(token, i);
        }
        List<Integer> specialIds = new ArrayList<>();
        for (String s : specials) {
            if (idOf.containsKey(s)) {
                throw new IllegalArgumentException("special token '" + s + "' is listed twice or is a byte token");
            }
            specialIds.add(vocab.size());
            idOf.put(s, vocab.size());
            vocab.add(s);
        }

        // Words as symbol arrays, sorted so the result does not depend on map iteration order.
        String[] words = wordCounts.keySet().toArray(new String[0]);
        Arrays.sort(words);
        int n = words.length;
        int[][] symbols = new int[n][];
        int[] lengths = new int[n];
        long[] counts = new long[n];
        for (int w = 0; w < n; w++) {
            byte[] bytes = words[w].getBytes(StandardCharsets.UTF_8);
            int[] s = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                s[i] = idOfByte[bytes[i] & 0xFF];
            }
            symbols[w] = s;
            lengths[w] = s.length;
            counts[w] = wordCounts.get(words[w]);
        }

        // Count every pair once and index which words hold it.
        LongLongMap pairCounts = new LongLongMap(n * 4);
        PairIndex where = new PairIndex(n * 4);
        for (int w = 0; w < n; w++) {
            int[] s = symbols[w];
            for (int i = 0; i + 1 < lengths[w]; i++) {
                long pair = pair(s[i], s[i + 1]);
                pairCounts.add(pair, counts[w]);
                where.add(pair, w);
            }
        }
        PairHeap heap = new PairHeap(pairCounts.size() + 16);
        pairCounts.forEach(heap::push);

        List<String[]> merges = new ArrayList<>();
        int[] visited = new int[n];
        Arrays.fill(visited, -1);
        LongLongMap forbidden = new LongLongMap(16);
        long[] newPairs = new long[1024];
        while (vocab.size() < vocabSize && heap.size() > 0) {
            long count = heap.topCount();
            long pair = heap.topPair();
            heap.pop();
            if (forbidden.get(pair) != 0) {
                continue;
            }
            long current = pairCounts.get(pair);
            if (current != count) {
                if (current > 0) {
                    heap.push(pair, current); // stale entry: re-file under the current count
                }
                continue;
            }
            if (count < minFrequency) {
                break;
            }
            int a = (int) (pair >>> 32);
            int b = (int) pair;
            String merged = vocab.get(a) + vocab.get(b);
            Integer existing = idOf.get(merged);
            if (existing != null && specialIds.contains(existing)) {
                forbidden.add(pair, 1); // would spell a special token: never learn it
                continue;
            }
            int z;
            if (existing != null) {
                z = existing; // the same string reached by another merge order
            } else {
                z = vocab.size();
                vocab.add(merged);
                idOf.put(merged, z);
            }
            merges.add(new String[] {vocab.get(a), vocab.get(b)});
            int mergeIndex = merges.size() - 1;

            // Rewrite the words that hold the pair; adjust the pair counts they contribute.
            int newPairCount = 0;
            int[] list = where.list(pair);
            int listSize = where.size(pair);
            for (int k = 0; k < listSize; k++) {
                int w = list[k];
                if (visited[w] == mergeIndex) {
                    continue;
                }
                visited[w] = mergeIndex;
                int[] s = symbols[w];
                int len = lengths[w];
                if (!contains(s, len, a, b)) {
                    continue; // stale index entry: an earlier merge consumed the pair here
                }
                // Rewrite in place (out <= i) and adjust only the pairs around each occurrence,
                // as seen from the rewritten left neighbour: that keeps runs like "a b a b" exact.
                long c = counts[w];
                int out = 0;
                for (int i = 0; i < len; ) {
                    if (i + 1 < len && s[i] == a && s[i + 1] == b) {
                        pairCounts.add(pair, -c);
                        if (out > 0) {
                            int prev = s[out - 1];
                            pairCounts.add(pair(prev, a), -c);
                            long gained = pair(prev, z);
                            pairCounts.add(gained, c);
                            where.add(gained, w);
                            newPairs = append(newPairs, newPairCount++, gained);
                        }
                        if (i + 2 < len) {
                            int next = s[i + 2];
                            pairCounts.add(pair(b, next), -c);
                            long gained = pair(z, next);
                            pairCounts.add(gained, c);
                            where.add(gained, w);
                            newPairs = append(newPairs, newPairCount++, gained);
                        }
                        s[out++] = z;
                        i += 2;
                    } else {
                        s[out++] = s[i++];
                    }
                }
                lengths[w] = out;
            }
            // Only pairs with the new token gained counts; file them under their new counts.
            Arrays.sort(newPairs, 0, newPairCount);
            for (int i = 0; i < newPairCount; i++) {
                long p = newPairs[i];
                long now = pairCounts.get(p);
                if ((i == 0 || newPairs[i - 1] != p) && now > 0) {
                    heap.push(p, now);
                }
            }
            where.clear(pair);
        }
        return new Result(List.copyOf(vocab), merges, List.copyOf(specialIds));
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private static long[] append(long[] list, int at, long value) {
        if (at == list.length) {
            list = Arrays.copyOf(list, at * 2);
        }
        list[at] = value;
        return list;
    }

    private static boolean contains(int[] s, int len, int a, int b) {
        for (int i = 0; i + 1 < len; i++) {
            if (s[i] == a && s[i + 1] == b) {
                return true;
            }
        }
        return false;
    }

    /** Pair → the words holding it (append-only; entries may be stale or repeated). */
    private static final class PairIndex {
        private final LongLongMap slotOf;
        private int[][] lists = new int[1024][];
        private int[] sizes = new int[1024];
        private int slots;

        PairIndex(int expected) {
            slotOf = new LongLongMap(expected);
        }

        void add(long pair, int word) {
            int slot = (int) slotOf.get(pair) - 1;
            if (slot < 0) {
                if (slots == lists.length) {
                    lists = Arrays.copyOf(lists, slots * 2);
                    sizes = Arrays.copyOf(sizes, slots * 2);
                }
                slot = slots++;
                slotOf.add(pair, slot + 1);
                lists[slot] = new int[4];
            }
            int[] list = lists[slot];
            int size = sizes[slot];
            if (size > 0 && list[size - 1] == word) {
                return; // the same word adding the same pair twice in a row
            }
            if (size == list.length) {
                list = lists[slot] = Arrays.copyOf(list, size * 2);
            }
            list[size] = word;
            sizes[slot] = size + 1;
        }

        int[] list(long pair) {
            int slot = (int) slotOf.get(pair) - 1;
            return slot < 0 ? new int[0] : lists[slot];
        }

        int size(long pair) {
            int slot = (int) slotOf.get(pair) - 1;
            return slot < 0 ? 0 : sizes[slot];
        }

        void clear(long pair) {
            int slot = (int) slotOf.get(pair) - 1;
            if (slot >= 0) {
                lists[slot] = new int[0];
                sizes[slot] = 0;
            }
        }
    }

    /** Max-heap of (count, pair): higher count first, then the smaller pair. */
    private static final class PairHeap {
        private long[] countOf;
        private long[] pairOf;
        private int size;

        PairHeap(int capacity) {
            countOf = new long[capacity];
            pairOf = new long[capacity];
        }

        int size() {
            return size;
        }

        long topCount() {
            return countOf[0];
        }

        long topPair() {
            return pairOf[0];
        }

        void push(long pair, long count) {
            if (size == countOf.length) {
                countOf = Arrays.copyOf(countOf, size * 2);
                pairOf = Arrays.copyOf(pairOf, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!before(count, pair, countOf[parent], pairOf[parent])) {
                    break;
                }
                countOf[i] = countOf[parent];
                pairOf[i] = pairOf[parent];
                i = parent;
            }
            countOf[i] = count;
            pairOf[i] = pair;
        }

        void pop() {
            long count = countOf[--size];
            long pair = pairOf[size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && before(countOf[child + 1], pairOf[child + 1], countOf[child], pairOf[child])) {
                    child++;
                }
                if (!before(countOf[child], pairOf[child], count, pair)) {
                    break;
                }
                countOf[i] = countOf[child];
                pairOf[i] = pairOf[child];
                i = child;
            }
            if (size > 0) {
                countOf[i] = count;
                pairOf[i] = pair;
            }
        }

        private static boolean before(long countA, long pairA, long countB, long pairB) {
            return countA != countB ? countA > countB : pairA < pairB;
        }
    }
}
