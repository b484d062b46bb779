package dev.chatforge.tokenizer;

import java.util.Arrays;

/**
 * An open-addressing hash map from long keys to long values (0 means absent), for the BPE
 * trainer's pair counts: boxed {@code HashMap<Long, Long>} costs several times the memory and
 * time for the hundreds of thousands of pairs a corpus has. Key {@link Long#MIN_VALUE} is reserved.
 */
final class LongLongMap {
    private static final long EMPTY = Long.MIN_VALUE;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    LongLongMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    long get(long key) {
        int i = slot(key);
        return keys[i] == key ? values[i] : 0;
    }

    /** Adds {@code delta} to the value of {@code key} (absent counts as 0) and returns the new value. */
    long add(long key, long delta) {
        int i = slot(key);
        if (keys[i] != key) {
            keys[i] = key;
            values[i] = delta;
            if (++size * 2 > keys.length) {
                grow();
            }
            return delta;
        }
        return values[i] += delta;
    }

    int size() {
        return size;
    }

    /** Calls {@code visitor} for every key with a non-zero value. */
    void forEach(Visitor visitor) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY && values[i] != 0) {
                visitor.visit(keys[i], values[i]);
            }
        }
    }

    interface Visitor {
        void visit(long key, long value);
    }

    private int slot(long key) {
        int i = (int) (mix(key) & mask);
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    static long mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int j = slot(oldKeys[i]);
                keys[j] = oldKeys[i];
                values[j] = oldValues[i];
            }
        }
    }
}
