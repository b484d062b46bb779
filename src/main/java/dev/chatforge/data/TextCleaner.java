package dev.chatforge.data;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Applies the configured cleaning steps ({@link CleaningConfig}) to text, in a fixed order:
 * HTML stripping, NFKC, removal of control/unwanted characters, whitespace collapsing,
 * lower-casing. Plain printable ASCII — most of any English corpus — skips NFKC and the
 * character scan, which is where the speed of prepare comes from.
 */
public final class TextCleaner {
    private final CleaningConfig config;
    private final String removeChars;

    public TextCleaner(CleaningConfig config) {
        this.config = config;
        this.removeChars = config.removeChars();
    }

    /** A record with every text cleaned; the role structure is kept as is. */
    public Record clean(Record r) {
        if (!r.isConversation()) {
            return Record.document(r.id(), r.source(), clean(r.text()));
        }
        List<Turn> turns = new ArrayList<>(r.messages().size());
        for (Turn t : r.messages()) {
            turns.add(new Turn(t.role(), clean(t.content())));
        }
        return new Record(r.id(), r.source(), null, turns);
    }

    public String clean(String s) {
        if (config.stripHtml()) {
            s = HtmlStripper.strip(s);
        }
        int shape = asciiShape(s);
        if (shape == OTHER) {
            if (config.nfkc()) {
                s = Normalizer.normalize(s, Normalizer.Form.NFKC);
            }
            if (config.removeControl() || !removeChars.isEmpty()) {
                s = removeUnwanted(s, config.removeControl(), removeChars);
            }
            if (config.collapseWhitespace() && needsCollapse(s)) {
                s = collapseWhitespace(s);
            }
        } else {
            // Printable ASCII: nothing for NFKC or control removal to do, and one scan told us about whitespace.
            if (!removeChars.isEmpty()) {
                s = removeUnwanted(s, false, removeChars);
                shape = needsCollapse(s) ? ASCII_NEEDS_COLLAPSE : ASCII_CLEAN;
            }
            if (config.collapseWhitespace() && shape == ASCII_NEEDS_COLLAPSE) {
                s = collapseWhitespace(s);
            }
        }
        if (config.lowercase()) {
            s = s.toLowerCase(Locale.ROOT);
        }
        return s;
    }

    static final int ASCII_CLEAN = 0;
    static final int ASCII_NEEDS_COLLAPSE = 1;
    static final int OTHER = 2;

    /**
     * One scan for the common case: {@link #OTHER} when a char is not printable ASCII, tab or
     * newline; otherwise whether {@link #collapseWhitespace} would change the text.
     */
    static int asciiShape(String s) {
        int n = s.length();
        boolean collapse = false;
        char prev = '\n';   // leading whitespace needs collapsing: start as if after a blank line
        int newlines = 2;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c > 0x7E || (c < 0x20 && c != '\n' && c != '\t')) {
                return OTHER;
            }
            if (c == '\n') {
                collapse |= prev == ' ' || ++newlines > 2;
            } else {
                newlines = 0;
                if (c == ' ') {
                    collapse |= prev == ' ' || prev == '\n';
                } else if (c == '\t') {
                    collapse = true;
                }
            }
            prev = c;
        }
        collapse |= n > 0 && (prev == ' ' || prev == '\n');
        return collapse ? ASCII_NEEDS_COLLAPSE : ASCII_CLEAN;
    }

    /**
     * Drops control characters (except tab and newline; a carriage return becomes a newline unless
     * one follows), invisible format characters (zero-width space, soft hyphen, BOM, bidi marks),
     * unpaired surrogates, and any character in {@code extra}.
     */
    static String removeUnwanted(String s, boolean control, String extra) {
        StringBuilder out = null;
        int n = s.length();
        boolean noExtra = extra.isEmpty();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (noExtra && c >= 0x20 && c < 0x7F) {  // printable ASCII: always kept
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            int cp = c;
            int width = 1;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                cp = Character.toCodePoint(c, s.charAt(i + 1));  // an emoji or other character beyond U+FFFF
                width = 2;
            }
            boolean drop = !noExtra && extra.indexOf(cp) >= 0;
            char replacement = 0;
            if (!drop && control && c != '\n' && c != '\t') {
                if (c == '\r') {
                    drop = true;
                    if (i + 1 >= n || s.charAt(i + 1) != '\n') {
                        replacement = '\n';
                    }
                } else {
                    int type = Character.getType(cp);
                    // SURROGATE here means an unpaired one: a pair was joined into cp above.
                    drop = type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE;
                }
            }
            if (drop) {
                if (out == null) {
                    out = new StringBuilder(n).append(s, 0, i);
                }
                if (replacement != 0) {
                    out.append(replacement);
                }
            } else if (out != null) {
                out.append(s, i, i + width);
            }
            i += width - 1;
        }
        return out == null ? s : out.toString();
    }

    private static boolean isNewline(char c) {
        return c == '\n' || c == '\u2028' || c == '\u2029';
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\u00A0' || c == '\u3000'
                || (c > ' ' && !isNewline(c) && Character.isWhitespace(c));
    }

    /** Quick check whether {@link #collapseWhitespace} would change anything. */
    static boolean needsCollapse(String s) {
        int n = s.length();
        if (n == 0) {
            return false;
        }
        char first = s.charAt(0);
        char last = s.charAt(n - 1);
        if (isSpace(first) || isNewline(first) || isSpace(last) || isNewline(last)) {
            return true;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == ' ') {
                char next = s.charAt(i + 1);  // exists: the last char is not whitespace
                if (next == ' ' || isSpace(next) || isNewline(next)) {
                    return true;
                }
            } else if (c == '\n') {
                char next = s.charAt(i + 1);
                if (isSpace(next) || next == '\u2028' || next == '\u2029') {
                    return true;
                }
                if (next == '\n') {
                    char after = s.charAt(i + 2);  // exists: the last char is not whitespace
                    if (isSpace(after) || isNewline(after)) {
                        return true;
                    }
                    i++;
                }
            } else if ((c < 0x80 && c != ' ' && c <= ' ') || (c >= 0x80 && (isSpace(c) || isNewline(c)))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs of spaces and tabs become one space; each line is trimmed; a run of line breaks
     * becomes one newline, or a blank line when it held a blank line (a paragraph break);
     * leading and trailing whitespace is removed.
     */
    static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean pendingSpace = false;
        int newlines = 0;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (isNewline(c)) {
                newlines++;
                pendingSpace = false;
            } else if (isSpace(c)) {
                if (newlines == 0) {
                    pendingSpace = true;
                }
            } else {
                if (out.length() > 0) {
                    if (newlines > 0) {
                        out.append(newlines >= 2 ? "\n\n" : "\n");
                    } else if (pendingSpace) {
                        out.append(' ');
                    }
                }
                out.append(c);
                newlines = 0;
                pendingSpace = false;
            }
        }
        return out.toString();
    }
}
