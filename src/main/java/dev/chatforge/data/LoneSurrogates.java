package dev.chatforge.data;

/**
 * Lone UTF-16 surrogates (half of an emoji, from a JSON escape such as {@code "\ud83e"} or a cut
 * string) are not text: no UTF-8 encoder can write them, and one reaching the native tokenizer
 * mangled every other text of the same call. They become U+FFFD, the replacement character, in
 * prepare and before any encoding.
 */
public final class LoneSurrogates {
    private LoneSurrogates() {}

    public static final char REPLACEMENT = '\uFFFD';

    /** {@code text} with each lone surrogate replaced by U+FFFD; the same instance when it has none. */
    public static String replace(String text) {
        if (text == null) {
            return null;
        }
        int first = firstLone(text);
        if (first < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        out.append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? REPLACEMENT : c);
            }
        }
        return out.toString();
    }

    /** The record with every lone surrogate of its text or turns replaced; the same instance when it has none. */
    public static Record replace(Record r) {
        if (!r.isConversation()) {
            String text = replace(r.text());
            return text == r.text() ? r : new Record(r.id(), r.source(), text, null);
        }
        boolean changed = false;
        java.util.List<Turn> turns = new java.util.ArrayList<>(r.messages().size());
        for (Turn t : r.messages()) {
            String content = replace(t.content());
            changed |= content != t.content();
            turns.add(content == t.content() ? t : new Turn(t.role(), content));
        }
        return changed ? new Record(r.id(), r.source(), null, turns) : r;
    }

    /** The index of the first lone surrogate, or -1. */
    public static int firstLone(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }
}
