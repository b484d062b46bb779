package dev.chatforge.tokenizer;

/**
 * GPT-2's pre-tokenisation, as Hugging Face's ByteLevel pre-tokenizer runs it (Oniguruma):
 *
 * <pre>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</pre>
 *
 * written out as a scanner because {@code java.util.regex} is several times slower and its
 * {@code \s} is not Unicode's. BPE merges never cross the pieces this produces, which is what
 * makes both training on word counts and caching encodings per word exact.
 *
 * <p>Whitespace is Unicode White_Space (what Oniguruma's {@code \s} matches for UTF-8): U+0009–
 * U+000D, U+0085 and the Zs, Zl, Zp categories. {@code \p{L}} and {@code \p{N}} are the letter
 * and number general categories. A run of spaces before a word leaves its last space to the
 * word (" b"); a run before other whitespace or the end stays whole.
 */
public final class PreTokenizer {
    private PreTokenizer() {}

    /** Receives each piece as a [start, end) range of the text. */
    @FunctionalInterface
    public interface PieceSink {
        void piece(int start, int end);
    }

    private static final byte OTHER = 0;
    private static final byte LETTER = 1;
    private static final byte NUMBER = 2;
    private static final byte SPACE = 3;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII[c] = classifySlow(c);
        }
    }

    /** Splits {@code text} (which holds no special tokens) into pieces, in order. */
    public static void split(String text, PieceSink sink) {
        split(text, 0, text.length(), sink);
    }

    /** Splits {@code text[from, to)} into pieces, in order. */
    public static void split(String text, int from, int to, PieceSink sink) {
        for (int pos = from; pos < to; ) {
            int end = pieceEnd(text, pos, to);
            sink.piece(pos, end);
            pos = end;
        }
    }

    /**
     * Where the piece starting at {@code pos} ends. Kept small and free of callbacks on purpose:
     * the JIT compiles it once, whoever consumes the pieces.
     */
    static int pieceEnd(String text, int pos, int to) {
        char c = text.charAt(pos);
        // 's 't 're 've 'm 'll 'd
        if (c == '\'' && pos + 1 < to) {
            int len = contraction(text, pos + 1, to);
            if (len > 0) {
                return pos + 1 + len;
            }
        }
        // ' ?' then a run of letters, of numbers, or of other non-space characters
        int p = c == ' ' && pos + 1 < to ? pos + 1 : pos;
        int cls = classAt(text, p);
        if (cls != SPACE) {
            return runEnd(text, p, to, cls);
        }
        // \s+(?!\S) | \s+ : a whitespace run, less its last character when a non-space follows
        // (that character then starts the next piece, e.g. the space of " word")
        int end = pos;
        int lastStart = pos;
        while (end < to && classAt(text, end) == SPACE) {
            lastStart = end;
            end += Character.isHighSurrogate(text.charAt(end)) && end + 1 < to ? 2 : 1;
        }
        return end < to && lastStart > pos ? lastStart : end;
    }

    private static int runEnd(String text, int from, int to, int cls) {
        int end = from;
        while (end < to) {
            char c = text.charAt(end);
            if (c < 128) {
                if (ASCII[c] != cls) {
                    break;
                }
                end++;
            } else {
                int cp = Character.isHighSurrogate(c) ? text.codePointAt(end) : c;
                if (classifySlow(cp) != cls) {
                    break;
                }
                end += Character.charCount(cp);
            }
        }
        return end;
    }

    private static int contraction(String text, int at, int to) {
        char a = text.charAt(at);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return 1;
        }
        if (at + 1 < to) {
            char b = text.charAt(at + 1);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return 2;
            }
        }
        return 0;
    }

    private static int classAt(String text, int i) {
        char c = text.charAt(i);
        if (c < 128) {
            return ASCII[c];
        }
        return classifySlow(Character.isSurrogate(c) ? text.codePointAt(i) : c);
    }

    private static byte classifySlow(int cp) {
        if (isWhitespace(cp)) {
            return SPACE;
        }
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER:
                return LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
                return NUMBER;
            default:
                return OTHER;
        }
    }

    /** Unicode White_Space, as Oniguruma's {@code \s}. */
    static boolean isWhitespace(int cp) {
        if (cp <= 0x20) {
            return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
        }
        if (cp == 0x85) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.SPACE_SEPARATOR || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }

    /**
     * True when every character of {@code text[from, to)} is classified the same way by this JVM
     * as by the Unicode tables of the native tokenizer: no unassigned code points (newer Unicode
     * versions may have assigned them) and no lone surrogates. Text that fails this is encoded
     * by the native tokenizer directly.
     */
    public static boolean isSafe(String text, int from, int to) {
        for (int i = from; i < to; ) {
            char c = text.charAt(i);
            if (c < 0x300) {
                i++;
                continue;
            }
            int cp = text.codePointAt(i);
            if (Character.isSurrogate((char) cp) || Character.getType(cp) == Character.UNASSIGNED) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }
}
