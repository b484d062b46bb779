package dev.chatforge.data;

/**
 * Personal data masked for display, so the dry run can show what would be redacted without
 * printing it: enough shape to judge a match ({@code j***@e***.com}, {@code **** **** **** **11},
 * {@code +** ** **** **58}), never enough to recover it.
 */
final class MaskedText {
    private MaskedText() {}

    static String of(PiiType type, String text) {
        return switch (type) {
            case EMAIL -> email(text);
            case URL -> url(text);
            case IBAN -> text.substring(0, 2) + keepLast(text.substring(2), 2);
            default -> keepLast(text, 2);
        };
    }

    /** First letter of the local part and of the domain, and the top-level domain: "j***@e***.com". */
    private static String email(String text) {
        int at = text.indexOf('@');
        int dot = text.lastIndexOf('.');
        return text.charAt(0) + "***@" + text.charAt(at + 1) + "***" + text.substring(dot);
    }

    /** Scheme, host and parameter names kept; user:password, path and values starred: "https://***:***@host/***?id=***". */
    private static String url(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int schemeEnd = text.indexOf("://");
        int hostStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        out.append(text, 0, hostStart);
        int at = text.indexOf('@', hostStart);
        int slash = firstOf(text, hostStart, "/?#");
        if (at >= 0 && (slash < 0 || at < slash)) {
            out.append(text.substring(hostStart, at).contains(":") ? "***:***@" : "***@");
            hostStart = at + 1;
        }
        int query = text.indexOf('?', hostStart);
        int pathStart = firstOf(text, hostStart, "/?#");
        int pathEnd = query < 0 ? text.length() : query;
        out.append(text, hostStart, pathStart < 0 ? pathEnd : pathStart);
        if (pathStart >= 0 && pathStart < pathEnd) {
            out.append("/***");  // a path can name a person too
        }
        if (query >= 0) {
            out.append('?');
            String[] params = text.substring(query + 1).split("&", -1);
            for (int i = 0; i < params.length; i++) {
                int eq = params[i].indexOf('=');
                out.append(i == 0 ? "" : "&").append(eq < 0 ? "***" : params[i].substring(0, eq + 1) + "***");
            }
        }
        return out.toString();
    }

    private static int firstOf(String text, int from, String chars) {
        for (int i = from; i < text.length(); i++) {
            if (chars.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** Every letter and digit starred except the last {@code keep}; separators kept. */
    private static String keepLast(String text, int keep) {
        int alnum = 0;
        for (int i = 0; i < text.length(); i++) {
            alnum += Character.isLetterOrDigit(text.charAt(i)) ? 1 : 0;
        }
        StringBuilder out = new StringBuilder(text.length());
        int seen = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                out.append(++seen > alnum - keep ? c : '*');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
