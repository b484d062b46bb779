package dev.chatforge.data;

import java.util.Locale;
import java.util.Map;

/**
 * Turns HTML-ish text into plain text: tags are removed (block-level tags become a line break so
 * paragraphs do not run together), the bodies of {@code <script>} and {@code <style>} are dropped,
 * comments are dropped, and character entities ({@code &amp;}, {@code &#233;}, {@code &#x1F600;})
 * are decoded. A {@code <} that does not start a tag ("a < b") is kept.
 */
final class HtmlStripper {
    private HtmlStripper() {}

    private static final java.util.Set<String> BLOCK_TAGS = java.util.Set.of(
            "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
            "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt");

    private static final Map<String, String> ENTITIES = Map.ofEntries(
            Map.entry("amp", "&"), Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("quot", "\""),
            Map.entry("apos", "'"), Map.entry("nbsp", "\u00A0"), Map.entry("copy", "©"), Map.entry("reg", "®"),
            Map.entry("trade", "™"), Map.entry("hellip", "…"), Map.entry("mdash", "—"), Map.entry("ndash", "–"),
            Map.entry("lsquo", "‘"), Map.entry("rsquo", "’"), Map.entry("ldquo", "“"), Map.entry("rdquo", "”"),
            Map.entry("laquo", "«"), Map.entry("raquo", "»"), Map.entry("euro", "€"), Map.entry("pound", "£"),
            Map.entry("yen", "¥"), Map.entry("cent", "¢"), Map.entry("deg", "°"), Map.entry("times", "×"),
            Map.entry("divide", "÷"), Map.entry("middot", "·"), Map.entry("bull", "•"), Map.entry("sect", "§"),
            Map.entry("para", "¶"), Map.entry("eacute", "é"), Map.entry("egrave", "è"), Map.entry("aacute", "á"),
            Map.entry("agrave", "à"), Map.entry("uuml", "ü"), Map.entry("ouml", "ö"), Map.entry("auml", "ä"),
            Map.entry("szlig", "ß"), Map.entry("ccedil", "ç"), Map.entry("ntilde", "ñ"));

    /** Cheap test: text without '<' and '&' has nothing to strip. */
    static boolean mayContainHtml(String s) {
        return s.indexOf('<') >= 0 || s.indexOf('&') >= 0;
    }

    static String strip(String s) {
        if (!mayContainHtml(s)) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '<') {
                int end = tagEnd(s, i);
                if (end < 0) {
                    out.append(c);
                    i++;
                    continue;
                }
                String name = tagName(s, i);
                if (name.equals("script") || name.equals("style")) {
                    int close = indexOfIgnoreCase(s, "</" + name, end);
                    int closeEnd = close < 0 ? -1 : s.indexOf('>', close);
                    i = closeEnd < 0 ? n : closeEnd + 1;
                    continue;
                }
                if (BLOCK_TAGS.contains(name)) {
                    out.append('\n');
                }
                i = end;
            } else if (c == '&') {
                int semi = s.indexOf(';', i + 1);
                String decoded = semi > i + 1 && semi - i <= 12 ? decodeEntity(s.substring(i + 1, semi)) : null;
                if (decoded == null) {
                    out.append(c);
                    i++;
                } else {
                    out.append(decoded);
                    i = semi + 1;
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static int indexOfIgnoreCase(String s, String what, int from) {
        for (int i = from; i + what.length() <= s.length(); i++) {
            if (s.regionMatches(true, i, what, 0, what.length())) {
                return i;
            }
        }
        return -1;
    }

    /** The index after a tag starting at {@code lt}, or -1 when '<' does not start a tag. */
    private static int tagEnd(String s, int lt) {
        if (s.startsWith("<!--", lt)) {
            int close = s.indexOf("-->", lt + 4);
            return close < 0 ? -1 : close + 3;
        }
        if (lt + 1 >= s.length()) {
            return -1;
        }
        char next = s.charAt(lt + 1);
        if (!(Character.isLetter(next) || next == '/' || next == '!')) {
            return -1;
        }
        int gt = s.indexOf('>', lt + 1);
        return gt < 0 ? -1 : gt + 1;
    }

    private static String tagName(String s, int lt) {
        int i = lt + 1;
        if (i < s.length() && s.charAt(i) == '/') {
            i++;
        }
        int start = i;
        while (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) {
            i++;
        }
        return s.substring(start, i).toLowerCase(Locale.ROOT);
    }

    private static String decodeEntity(String name) {
        if (name.startsWith("#")) {
            try {
                int cp = name.length() > 1 && (name.charAt(1) == 'x' || name.charAt(1) == 'X')
                        ? Integer.parseInt(name.substring(2), 16)
                        : Integer.parseInt(name.substring(1));
                return Character.isValidCodePoint(cp) ? new String(Character.toChars(cp)) : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return ENTITIES.get(name);
    }
}
