package dev.chatforge.tokenizer;

import java.util.Arrays;

/**
 * Word → ids, looked up by a range of the text the word sits in, so the common case (a word
 * already seen) allocates nothing. Open addressing with linear probing; bounded: once full it
 * stops taking new words. Not thread-safe: {@link ChatTokenizer} keeps one per thread, which
 * costs each thread its own misses but no locking.
 */
final class WordCache {
    private final int maxEntries;
    private String[] keys = new String[1 << 12];
    private int[][] values = new int[1 << 12][];
    private int[] hashes = new int[1 << 12];
    private int size;

    WordCache(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    static int hash(String text, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) {
            h = 31 * h + text.charAt(i);
        }
        return h;
    }

    /** The ids cached for {@code text[start, end)} (whose {@link #hash} is {@code hash}), or null. */
    int[] get(String text, int start, int end, int hash) {
        int mask = keys.length - 1;
        int len = end - start;
        for (int i = mix(hash) & mask; keys[i] != null; i = (i + 1) & mask) {
            if (hashes[i] == hash && keys[i].length() == len && keys[i].regionMatches(0, text, start, len)) {
                return values[i];
            }
        }
        return null;
    }

    /** Caches a word's ids unless the cache is full. */
    void put(String word, int[] ids) {
        if (size >= maxEntries) {
            return;
        }
        int hash = hash(word, 0, word.length());
        int mask = keys.length - 1;
        int i = mix(hash) & mask;
        for (; keys[i] != null; i = (i + 1) & mask) {
            if (hashes[i] == hash && keys[i].equals(word)) {
                values[i] = ids;
                return;
            }
        }
        keys[i] = word;
        values[i] = ids;
        hashes[i] = hash;
        if (++size * 2 > keys.length) {
            grow();
        }
    }

    int size() {
        return size;
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private void grow() {
        String[] oldKeys = keys;
        int[][] oldValues = values;
        int[] oldHashes = hashes;
        keys = new String[oldKeys.length * 2];
        values = new int[oldKeys.length * 2][];
        hashes = new int[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int k = 0; k < oldKeys.length; k++) {
            if (oldKeys[k] != null) {
                int i = mix(oldHashes[k]) & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[k];
                values[i] = oldValues[k];
                hashes[i] = oldHashes[k];
            }
        }
        Arrays.fill(oldKeys, null);
    }
}
