package dev.chatforge.data;

import java.util.HexFormat;

/**
 * A 64-bit hash of a record's content (its text, or each turn's role and content) — not of
 * where it came from. Identical records hash alike wherever they appear, which makes the hash
 * the record's id, the key for de-duplication and the input of the train/validation split.
 * FNV-1a over the UTF-16 chars, finished with MurmurHash3's 64-bit mixer for avalanche; stable
 * across runs, JVMs and machines (unlike {@code String.hashCode}, which is only 32 bits).
 */
public final class ContentHash {
    private ContentHash() {}

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    public static long of(Record r) {
        long h = FNV_OFFSET;
        long length = 0;
        if (!r.isConversation()) {
            h = mix(h, 0x10000);  // a marker outside the char range: document
            h = update(h, r.text());
            length = r.text().length();
        } else {
            for (Turn t : r.messages()) {
                h = mix(h, 0x10001 + t.role().ordinal());  // turn boundary and role
                h = update(h, t.content());
                length += t.content().length() + 1;
            }
        }
        return fmix64(h ^ length);
    }

    /** The record id: the hash as 16 hex digits. */
    public static String hex(long hash) {
        return HexFormat.of().toHexDigits(hash);
    }

    private static long update(long h, String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            h = (h ^ s.charAt(i)) * FNV_PRIME;
        }
        return h;
    }

    private static long mix(long h, int value) {
        return (h ^ value) * FNV_PRIME;
    }

    /** MurmurHash3's finaliser: every input bit affects every output bit. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
