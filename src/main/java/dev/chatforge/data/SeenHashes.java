package dev.chatforge.data;

/**
 * The set of content hashes kept so far, for exact de-duplication: an open-addressing table of
 * primitive longs (8 bytes a record at most twice over, instead of ~50 for a
 * {@code HashSet<Long>}). This is the only thing in prepare that grows with the corpus.
 */
final class SeenHashes {
    private long[] table = new long[1 << 16];
    private int size;
    private boolean hasZero;  // 0 marks an empty slot, so the hash 0 is tracked on the side

    /** Adds {@code hash}; returns false when it was already there. */
    boolean add(long hash) {
        if (hash == 0) {
            boolean added = !hasZero;
            hasZero = true;
            return added;
        }
        if (2 * (size + 1) > table.length) {
            grow();
        }
        if (insert(table, hash)) {
            size++;
            return true;
        }
        return false;
    }

    int size() {
        return size + (hasZero ? 1 : 0);
    }

    private static boolean insert(long[] t, long hash) {
        int mask = t.length - 1;
        // The hashes are already well mixed (ContentHash), so their low bits index the table directly.
        for (int i = (int) hash & mask; ; i = (i + 1) & mask) {
            long slot = t[i];
            if (slot == 0) {
                t[i] = hash;
                return true;
            }
            if (slot == hash) {
                return false;
            }
        }
    }

    private void grow() {
        long[] bigger = new long[table.length * 2];
        for (long h : table) {
            if (h != 0) {
                insert(bigger, h);
            }
        }
        table = bigger;
    }
}
