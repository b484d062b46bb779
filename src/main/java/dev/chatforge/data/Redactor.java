package dev.chatforge.data;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Replaces personal data in text by typed placeholders ({@code <email>}, {@code <phone>}, ...):
 * e-mail addresses, phone numbers, payment cards (Luhn), IBANs (mod-97), IPv4/IPv6 addresses and
 * URLs that carry credentials or a query string.
 *
 * <p>Built for prepare's speed, without regular expressions: each detector starts only where its
 * anchor is ({@code @}, {@code ://}, {@code www.}, a digit, a colon), measures a candidate with a
 * forward scan and accepts it only when its shape and check digits say so. Text without those
 * anchors costs one scan. No backtracking, so no input can make it slow.
 *
 * <p>What is deliberately <em>not</em> redacted (see docs/prepare.md): order and ticket numbers
 * ({@code #21265}), dates, times, prices, versions, ISBNs, tracking numbers, numbers glued to a
 * letter or after {@code #}/{@code $}; plain URLs without credentials or a query.
 */
public final class Redactor {
    private static final PiiType[] TYPES = PiiType.values();  // values() copies its array on every call

    private final Set<PiiType> types;
    private final String[] placeholders = new String[PiiType.values().length];

    /** @param placeholders replacement per type; types not in the map get {@link PiiType#defaultPlaceholder()} */
    public Redactor(Set<PiiType> types, Map<PiiType, String> placeholders) {
        this.types = types.isEmpty() ? EnumSet.noneOf(PiiType.class) : EnumSet.copyOf(types);
        for (PiiType type : PiiType.values()) {
            this.placeholders[type.ordinal()] = placeholders.getOrDefault(type, type.defaultPlaceholder());
        }
    }

    public boolean isEnabled() {
        return !types.isEmpty();
    }

    /** {@code s} with every enabled kind of personal data replaced; counts (and originals) go to {@code tally}. */
    public String redact(String s, CleaningTally tally) {
        if (types.isEmpty() || s.isEmpty()) {
            return s;
        }
        Spans spans = new Spans();
        int colon = s.indexOf(':');  // a one-character search is far cheaper than a substring search: gate them with it
        if (types.contains(PiiType.URL) && ((colon >= 0 && s.indexOf("://", colon) >= 0) || hasWww(s))) {
            findUrls(s, spans);
        }
        if (types.contains(PiiType.EMAIL) && s.indexOf('@') >= 0) {
            findEmails(s, spans);
        }
        boolean numbers = types.contains(PiiType.CARD) || types.contains(PiiType.PHONE) || types.contains(PiiType.IBAN)
                || types.contains(PiiType.IP);
        if (numbers) {
            findNumbers(s, spans);
        }
        if (types.contains(PiiType.IP) && colon >= 0) {
            findIpv6(s, spans);
        }
        if (spans.size == 0) {
            return s;
        }
        spans.sort();
        StringBuilder out = new StringBuilder(s.length());
        int last = 0;
        for (int k = 0; k < spans.size; k++) {
            int start = spans.starts[k];
            int end = spans.ends[k];
            PiiType type = TYPES[spans.kinds[k]];
            out.append(s, last, start).append(placeholders[type.ordinal()]);
            tally.redacted(type, s, start, end);
            last = end;
        }
        return out.append(s, last, s.length()).toString();
    }

    // ---- URLs -------------------------------------------------------------------------------

    /** URLs with user:password@ or a ?query: both carry secrets and personal data (tokens, e-mails, ids). */
    private void findUrls(String s, Spans spans) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            int start;
            int hostStart;
            if (s.startsWith("://", i)) {
                start = i;
                while (start > 0 && isSchemeChar(s.charAt(start - 1))) {
                    start--;
                }
                if (start == i || !isAsciiLetter(s.charAt(start))) {
                    continue;
                }
                hostStart = i + 3;
            } else if (s.startsWith("www.", i) && (i == 0 || !isUrlChar(s.charAt(i - 1)))) {
                start = i;
                hostStart = i;
            } else {
                continue;
            }
            int end = hostStart;
            while (end < n && isUrlChar(s.charAt(end))) {
                end++;
            }
            while (end > hostStart && ".,;:!?)]}'\"".indexOf(s.charAt(end - 1)) >= 0) {
                end--;  // sentence punctuation after a link is not part of it
            }
            if (end > hostStart && (hasCredentials(s, hostStart, end) || hasQuery(s, hostStart, end))) {
                spans.add(start, end, PiiType.URL);
            }
            i = Math.max(i, end - 1);
        }
    }

    /** Whether "www." occurs: looks for the dot, then at what precedes it. */
    private static boolean hasWww(String s) {
        for (int dot = s.indexOf('.', 3); dot >= 0; dot = s.indexOf('.', dot + 1)) {
            if (s.charAt(dot - 1) == 'w' && s.charAt(dot - 2) == 'w' && s.charAt(dot - 3) == 'w') {
                return true;
            }
        }
        return false;
    }

    private static boolean hasCredentials(String s, int hostStart, int end) {
        for (int i = hostStart; i < end; i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return false;
            }
            if (c == '@') {
                return i > hostStart;
            }
        }
        return false;
    }

    private static boolean hasQuery(String s, int hostStart, int end) {
        int q = s.indexOf('?', hostStart);
        return q >= 0 && q + 1 < end;
    }

    private static boolean isSchemeChar(char c) {
        return isAsciiLetter(c) || isDigit(c) || c == '+' || c == '-' || c == '.';
    }

    private static boolean isUrlChar(char c) {
        return c > ' ' && c != '"' && c != '<' && c != '>' && c != '`' && c != '{' && c != '}' && c != '|' && c != '\\'
                && c != '^' && !Character.isWhitespace(c);
    }

    // ---- e-mail -----------------------------------------------------------------------------

    /** local@domain.tld: a local part of letters, digits and ._%+-, a dotted domain, a top-level domain of 2+ letters. */
    private void findEmails(String s, Spans spans) {
        int n = s.length();
        for (int at = s.indexOf('@'); at >= 0; at = s.indexOf('@', at + 1)) {
            int start = at;
            while (start > 0 && isLocalChar(s.charAt(start - 1))) {
                start--;
            }
            while (start < at && s.charAt(start) == '.') {
                start++;
            }
            if (start == at) {
                continue;
            }
            int end = at + 1;
            int lastDot = -1;
            while (end < n) {
                char c = s.charAt(end);
                if (c == '.') {
                    if (end + 1 >= n || !isDomainChar(s.charAt(end + 1)) || s.charAt(end - 1) == '.') {
                        break;  // a full stop after the address, or ".."
                    }
                    lastDot = end;
                } else if (!isDomainChar(c)) {
                    break;
                }
                end++;
            }
            if (lastDot < 0 || lastDot == at + 1 || end - lastDot - 1 < 2 || !allLetters(s, lastDot + 1, end)) {
                continue;
            }
            spans.add(start, end, PiiType.EMAIL);
            at = end - 1;
        }
    }

    private static boolean isLocalChar(char c) {
        return Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
    }

    private static boolean isDomainChar(char c) {
        return Character.isLetterOrDigit(c) || c == '-';
    }

    private static boolean allLetters(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isLetter(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    // ---- numbers: cards, phones, IBANs, IPv4 --------------------------------------------------

    /** At most this many digit groups and digits make one candidate (E.164 has 15, a card 19). */
    private static final int MAX_GROUPS = 8;
    private static final int MAX_DIGITS = 24;

    /** One scan over the text: each run of digit groups joined by single separators is one candidate. */
    private void findNumbers(String s, Spans spans) {
        int n = s.length();
        NumberShape shape = new NumberShape();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (!isDigit(c) && !((c == '+' || c == '(') && i + 1 < n && isDigit(s.charAt(i + 1)))) {
                continue;
            }
            if (types.contains(PiiType.IBAN) && isDigit(c) && i >= 2 && i + 1 < n && isDigit(s.charAt(i + 1))
                    && isAsciiLetter(s.charAt(i - 1)) && isAsciiLetter(s.charAt(i - 2))
                    && (i == 2 || !Character.isLetterOrDigit(s.charAt(i - 3)))) {
                int end = ibanEnd(s, i - 2);
                if (end > 0) {
                    spans.add(i - 2, end, PiiType.IBAN);
                    i = end - 1;
                    continue;
                }
            }
            if (i > 0 && !canPrecedeNumber(s.charAt(i - 1), c)) {
                int address = afterLabel(s.charAt(i - 1)) ? ipv4End(s, i, shape) : -1;
                if (address > 0) {  // "IP:10.0.0.5", "host=10.0.0.1": four dotted groups are never a time
                    spans.add(i, address, PiiType.IP);
                    i = address - 1;
                } else {
                    i = skipDigits(s, i);  // glued to a word, or after # $ . , - / : an order number, price, date or version
                }
                continue;
            }
            // Inside a run of space-separated numbers ("at 10 4111 1111 1111 1111") only a card, with its
            // check digit, stands out; a phone or IP there would be a piece of some longer number.
            boolean insideRun = i >= 2 && s.charAt(i - 1) == ' ' && isDigit(s.charAt(i - 2));
            shape.measure(s, i);
            PiiType type = null;
            int end = -1;
            for (int g = shape.groups; g >= 1 && type == null; g--) {  // the longest prefix of groups that is PII
                type = classify(s, shape, g);
                if (insideRun && type != PiiType.CARD) {
                    type = null;
                }
                end = shape.groupEnds[g - 1];
            }
            if (type != null && (end >= n || !Character.isLetterOrDigit(s.charAt(end)))) {
                spans.add(i, end, type);
                i = end - 1;
            } else if (!isDigit(c)) {
                // "(4111 ..." or "+4 ...": try again from the digit after the bracket or plus sign
            } else {
                i = shape.groupEnds[0] - 1;  // not PII from here: try again at the next group
            }
        }
    }

    /** Ends an IBAN starting at {@code start} (2 letters, 2 check digits, then the account), or -1. */
    private static int ibanEnd(String s, int start) {
        int n = s.length();
        int run = start;
        while (run < n && isAsciiAlnum(s.charAt(run))) {
            run++;
        }
        int length = run - start;
        if (length >= 15 && length <= 34) {
            return (run >= n || !Character.isLetterOrDigit(s.charAt(run))) && Checksums.iban(s, start, run) ? run : -1;
        }
        if (length != 4) {
            return -1;
        }
        // Printed form: groups of four separated by single spaces, the last one shorter.
        int[] ends = new int[9];
        int groups = 0;
        ends[groups++] = run;
        int pos = run;
        while (groups < ends.length && pos + 1 < n && s.charAt(pos) == ' ' && isAsciiAlnum(s.charAt(pos + 1))) {
            int groupEnd = pos + 1;
            while (groupEnd < n && isAsciiAlnum(s.charAt(groupEnd))) {
                groupEnd++;
            }
            int size = groupEnd - pos - 1;
            if (size > 4) {
                break;
            }
            ends[groups++] = groupEnd;
            pos = groupEnd;
            if (size < 4) {
                break;
            }
        }
        for (int g = groups; g >= 4; g--) {  // 15 characters need at least four groups
            if (Checksums.iban(s, start, ends[g - 1])) {
                return ends[g - 1];
            }
        }
        return -1;
    }

    /** The kind of personal data the first {@code g} groups of {@code shape} are, or null. */
    private PiiType classify(String s, NumberShape shape, int g) {
        int digits = shape.digitsIn(g);
        if (types.contains(PiiType.IP) && shape.isIpv4(s, g) && !afterVersionWord(s, shape.start)) {
            return PiiType.IP;
        }
        if (types.contains(PiiType.CARD) && !shape.plus && !shape.paren && shape.isCardGrouping(g)
                && digits >= 13 && digits <= 19 && startsLikeCard(s, shape)
                && Checksums.luhn(s, shape.start, shape.groupEnds[g - 1])) {
            return PiiType.CARD;
        }
        if (types.contains(PiiType.PHONE) && shape.isPhone(s, g, digits)) {
            return PiiType.PHONE;
        }
        return null;
    }

    /**
     * Whether the first four digits are a card network's prefix: Visa 4; Mastercard 51-55 and
     * 2221-2720; Amex 34, 37; Diners 30, 36, 38; JCB 35; Discover/UnionPay 60, 62, 64, 65;
     * Maestro 50, 56-58, 63, 67. Lists of years ("2019 2020 2021 2022") and ids starting 1, 7,
     * 8, 9, 0 are not cards, whatever their check digit.
     */
    private static boolean startsLikeCard(String s, NumberShape shape) {
        int prefix = 0;
        for (int i = shape.start, seen = 0; seen < 4; i++) {
            char c = s.charAt(i);
            if (isDigit(c)) {
                prefix = prefix * 10 + (c - '0');
                seen++;
            }
        }
        int two = prefix / 100;
        return switch (two / 10) {
            case 2 -> prefix >= 2221 && prefix <= 2720;
            case 3 -> two == 30 || two == 34 || two == 35 || two == 36 || two == 37 || two == 38;
            case 4 -> true;
            case 5 -> two >= 50 && two <= 58;
            case 6 -> two == 60 || two == 62 || two == 63 || two == 64 || two == 65 || two == 67;
            default -> false;
        };
    }

    /**
     * A candidate number: digit groups joined by at most two separator characters from
     * {@code " -.()"} (so "(555) 123-4567" and "+44 20 7946 0958" are one candidate each).
     */
    private static final class NumberShape {
        int start;
        boolean plus;
        boolean paren;
        int groups;
        final int[] groupStarts = new int[MAX_GROUPS];
        final int[] groupEnds = new int[MAX_GROUPS];
        /** Which separator characters joined the groups, as bits: space, dash, dot, parenthesis. */
        final int[] separatorsBefore = new int[MAX_GROUPS];

        static final int SPACE = 1;
        static final int DASH = 2;
        static final int DOT = 4;
        static final int PAREN = 8;

        void measure(String s, int at) {
            int n = s.length();
            start = at;
            plus = s.charAt(at) == '+';
            paren = s.charAt(at) == '(';
            groups = 0;
            int digits = 0;
            int i = plus || paren ? at + 1 : at;
            int seps = 0;
            while (i < n && groups < MAX_GROUPS) {
                int groupStart = i;
                while (i < n && isDigit(s.charAt(i))) {
                    i++;
                }
                digits += i - groupStart;
                groupStarts[groups] = groupStart;
                groupEnds[groups] = i;
                separatorsBefore[groups] = seps;
                groups++;
                if (digits > MAX_DIGITS) {
                    break;  // longer than any card or phone number: classify() rejects it
                }
                // a separator run of one or two characters, then a digit
                int j = i;
                seps = 0;
                while (j < n && j - i < 2) {
                    int bit = separatorBit(s.charAt(j));
                    if (bit == 0) {
                        break;
                    }
                    seps |= bit;
                    j++;
                }
                if (j == i || j >= n || !isDigit(s.charAt(j)) || (j - i == 2 && (seps & PAREN) == 0)) {
                    break;  // two separators only around a parenthesis: ") " as in "(555) 123"
                }
                i = j;
            }
        }

        int digitsIn(int g) {
            int digits = 0;
            for (int k = 0; k < g; k++) {
                digits += groupEnds[k] - groupStarts[k];
            }
            return digits;
        }

        private int separatorsUsed(int g) {
            int used = 0;
            for (int k = 1; k < g; k++) {
                used |= separatorsBefore[k];
            }
            return used;
        }

        private int size(int k) {
            return groupEnds[k] - groupStarts[k];
        }

        /** Four groups of 1-3 digits, each <= 255 and without leading zeros, joined by dots only. */
        boolean isIpv4(String s, int g) {
            if (g != 4 || plus || paren || separatorsUsed(g) != DOT) {
                return false;
            }
            for (int k = 0; k < 4; k++) {
                if (size(k) > 3 || Integer.parseInt(s, groupStarts[k], groupEnds[k], 10) > 255
                        || (size(k) > 1 && s.charAt(groupStarts[k]) == '0')) {
                    return false;  // "1.200.000.000" is an amount: addresses are written without leading zeros
                }
            }
            return s.charAt(groupStarts[0]) != '0';
        }

        /** One block, or groups of four (the last 1-4) or Amex/Diners 4-6-5/4-6-4, joined by spaces or by dashes. */
        boolean isCardGrouping(int g) {
            if (g == 1) {
                return true;
            }
            int used = separatorsUsed(g);
            if (used != SPACE && used != DASH) {
                return false;
            }
            if (g == 3 && size(0) == 4 && size(1) == 6 && (size(2) == 5 || size(2) == 4)) {
                return true;
            }
            for (int k = 0; k < g - 1; k++) {
                if (size(k) != 4) {
                    return false;
                }
            }
            return size(g - 1) <= 4;
        }

        /**
         * International (+ or 00 and 8-15 digits) or national: 10-11 digits that start with a
         * trunk 0 or an area code in parentheses, or the North American 3-3-4 (with an optional
         * leading 1) written with separators.
         */
        boolean isPhone(String s, int g, int digits) {
            int used = separatorsUsed(g);
            if ((used & ~(SPACE | DASH | DOT | PAREN)) != 0) {
                return false;
            }
            if (plus) {
                return digits >= 8 && digits <= 15;
            }
                boolean doubleZero = s.charAt(groupStarts[0]) == '0' && size(0) >= 2 && s.charAt(groupStarts[0] + 1) == '0';
            if (doubleZero) {
                if (digitAfterDoubleZero(s) == '0') {
                    return false;  // no country code starts with 0
                }
                return digits >= 10 && digits <= 17 && g >= 2;
            }
            if (digits < 10 || digits > 11) {
                return false;
            }
            if (paren || (s.charAt(groupStarts[0]) == '0' && size(0) >= 2)) {  // "0.1234567890" is a decimal
                return true;
            }
            boolean northAmerican = (g == 3 && size(0) == 3 && size(1) == 3 && size(2) == 4)
                    || (g == 4 && size(0) == 1 && s.charAt(groupStarts[0]) == '1' && size(1) == 3 && size(2) == 3 && size(3) == 4);
            return northAmerican;
        }

        private char digitAfterDoubleZero(String s) {
            int at = groupStarts[0] + 2;
            return at < groupEnds[0] ? s.charAt(at) : groups > 1 ? s.charAt(groupStarts[1]) : '0';
        }

        private static int separatorBit(char c) {
            return switch (c) {
                case ' ' -> SPACE;
                case '-' -> DASH;
                case '.' -> DOT;
                case '(', ')' -> PAREN;
                default -> 0;
            };
        }
    }

    /** A number right after one of these is an id, amount, date or version, not personal data. */
    private static boolean afterLabel(char before) {
        return before == ':' || before == '=';
    }

    /** The end of an IPv4 address starting at {@code i} (and ending at a word boundary), or -1. */
    private int ipv4End(String s, int i, NumberShape shape) {
        if (!types.contains(PiiType.IP)) {
            return -1;
        }
        shape.measure(s, i);
        if (shape.groups < 4 || !shape.isIpv4(s, 4)) {
            return -1;
        }
        int end = shape.groupEnds[3];
        return end >= s.length() || !Character.isLetterOrDigit(s.charAt(end)) ? end : -1;
    }

    /** Words after which four dotted numbers are a version, not an address ("version 4.8.0.1", "build 10.0.19045.3803"). */
    private static final java.util.Set<String> VERSION_WORDS = java.util.Set.of("version", "ver", "firmware", "build",
            "release", "update", "v", "patch", "driver", "kernel", "os", "ios", "android", "windows");

    private static boolean afterVersionWord(String s, int start) {
        int end = start;
        while (end > 0 && s.charAt(end - 1) == ' ') {
            end--;
        }
        int from = end;
        while (from > 0 && Character.isLetter(s.charAt(from - 1))) {
            from--;
        }
        return from < end && VERSION_WORDS.contains(s.substring(from, end).toLowerCase(java.util.Locale.ROOT));
    }

    private static boolean canPrecedeNumber(char before, char first) {
        if (Character.isLetterOrDigit(before)) {
            return false;
        }
        // A colon before a digit is a time ("12:30"); before "+44" it is a label ("Tel:+44 ...").
        return !isDigit(first) || "#$€£¥.,-/_@:%&=+".indexOf(before) < 0;
    }

    private static int skipDigits(String s, int i) {
        int n = s.length();
        while (i + 1 < n && isDigit(s.charAt(i + 1))) {
            i++;
        }
        return i;
    }

    // ---- IPv6 -------------------------------------------------------------------------------

    /**
     * IPv6: eight groups of 1-4 hex digits, or fewer with one "::" and at least three groups.
     * Times (12:30:45) have three groups and no "::", MAC addresses six: neither matches.
     */
    private static void findIpv6(String s, Spans spans) {
        int n = s.length();
        for (int colon = s.indexOf(':'); colon >= 0 && colon < n; colon = s.indexOf(':', colon + 1)) {
            int start = colon;
            while (start > 0 && isIpv6Char(s.charAt(start - 1))) {
                start--;
            }
            int end = colon;
            while (end < n && isIpv6Char(s.charAt(end))) {
                end++;
            }
            while (end > colon + 1 && s.charAt(end - 1) == '.') {
                end--;
            }
            boolean bounded = (start == 0 || !Character.isLetterOrDigit(s.charAt(start - 1)))
                    && (end >= n || !Character.isLetterOrDigit(s.charAt(end)));
            if (bounded && isIpv6(s, start, end)) {
                spans.add(start, end, PiiType.IP);
            }
            colon = Math.max(colon, end - 1);
        }
    }

    private static boolean isIpv6(String s, int start, int end) {
        int groups = 0;
        boolean compressed = false;
        int i = start;
        if (s.startsWith("::", i)) {
            compressed = true;
            i += 2;
        }
        while (i < end) {
            int groupStart = i;
            while (i < end && isHex(s.charAt(i))) {
                i++;
            }
            int size = i - groupStart;
            if (size == 0 || size > 4) {
                return false;
            }
            groups++;
            if (i == end) {
                break;
            }
            if (s.charAt(i) != ':') {
                return false;  // an embedded IPv4 tail or other characters: not handled, not redacted
            }
            i++;
            if (i < end && s.charAt(i) == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                i++;
            } else if (i == end) {
                return false;  // a trailing single colon
            }
        }
        return compressed ? groups >= 3 && groups <= 7 : groups == 8;
    }

    private static boolean isIpv6Char(char c) {
        return isHex(c) || c == ':';
    }

    private static boolean isHex(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isAsciiAlnum(char c) {
        return isDigit(c) || isAsciiLetter(c);
    }

    /** Found spans of one text; a span that overlaps one found before it (by an earlier detector) is ignored. */
    private static final class Spans {
        int[] starts = new int[4];
        int[] ends = new int[4];
        int[] kinds = new int[4];
        int size;

        void add(int start, int end, PiiType type) {
            for (int k = 0; k < size; k++) {
                if (start < ends[k] && end > starts[k]) {
                    return;
                }
            }
            if (size == starts.length) {
                starts = java.util.Arrays.copyOf(starts, size * 2);
                ends = java.util.Arrays.copyOf(ends, size * 2);
                kinds = java.util.Arrays.copyOf(kinds, size * 2);
            }
            starts[size] = start;
            ends[size] = end;
            kinds[size] = type.ordinal();
            size++;
        }

        /** Insertion sort by start: a text has a handful of spans at most. */
        void sort() {
            for (int a = 1; a < size; a++) {
                for (int b = a; b > 0 && starts[b] < starts[b - 1]; b--) {
                    swap(b, b - 1);
                }
            }
        }

        private void swap(int a, int b) {
            int t = starts[a]; starts[a] = starts[b]; starts[b] = t;
            t = ends[a]; ends[a] = ends[b]; ends[b] = t;
            t = kinds[a]; kinds[a] = kinds[b]; kinds[b] = t;
        }
    }
}
