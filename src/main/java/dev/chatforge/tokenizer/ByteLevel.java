package dev.chatforge.tokenizer;

/**
 * GPT-2's reversible map from the 256 byte values to printable unicode characters
 * ({@code bytes_to_unicode}): printable Latin-1 bytes map to themselves, the rest (controls,
 * space, a few others) to U+0100 onwards, so every token is a visible string (a space becomes
 * 'Ġ', a newline 'Ċ') and a byte-level vocabulary can be stored as JSON text.
 */
public final class ByteLevel {
    private ByteLevel() {}

    /** The character each byte maps to. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** The byte each mapped character came from, or -1; indexed by char (all are below U+0144). */
    private static final int[] CHAR_TO_BYTE = new int[0x200];
    /**
     * The bytes in GPT-2's order: printable ranges first, then the remapped ones. A chatforge
     * vocabulary gives byte {@code ORDER[i]} the id {@code i}, as GPT-2's vocab.json does.
     */
    private static final int[] ORDER = new int[256];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        boolean[] printable = new boolean[256];
        int n = 0;
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        for (int b = 0; b < 256; b++) {
            if (printable[b]) {
                BYTE_TO_CHAR[b] = (char) b;
                ORDER[n++] = b;
            }
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable[b]) {
                BYTE_TO_CHAR[b] = (char) (256 + next++);
                ORDER[n++] = b;
            }
        }
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    public static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The byte a mapped character stands for, or -1 when it is not one of the 256. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The byte given id {@code i} (0..255) in a chatforge vocabulary. */
    public static int byteAtRank(int i) {
        return ORDER[i];
    }

    /** Maps raw bytes to their token string. */
    public static String encode(byte[] bytes, int off, int len) {
        char[] chars = new char[len];
        for (int i = 0; i < len; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[off + i] & 0xFF];
        }
        return new String(chars);
    }

    /** Maps a token string back to its bytes; null when a character is outside the byte map. */
    public static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
