package dev.chatforge.chat;

import java.util.List;
import java.util.Set;

/**
 * When generation ends before {@code max_new_tokens}: a stop token (end-of-turn,
 * end-of-text) or a stop string appearing in the generated text. Neither is part of the
 * returned text, as with Hugging Face's {@code stop_strings} and {@code eos_token_id}.
 *
 * <p>Stop strings are matched on decoded text, not on ids, because one string can be
 * tokenized many ways ("\n" alone or inside ".\n").
 */
public record StopCondition(Set<Integer> stopTokenIds, List<String> stopStrings) {

    public StopCondition {
        stopTokenIds = Set.copyOf(stopTokenIds);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
    }

    public static StopCondition none() {
        return new StopCondition(Set.of(), List.of());
    }

    public boolean isStopToken(int id) {
        return stopTokenIds.contains(id);
    }

    /** Where the earliest stop string starts in {@code text}, or -1 when none occurs. */
    public int stopStringIndex(String text) {
        int earliest = -1;
        for (String s : stopStrings) {
            int at = text.indexOf(s);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        return earliest;
    }

    /** {@code text} cut before the earliest stop string (unchanged when none occurs). */
    public String cut(String text) {
        int at = stopStringIndex(text);
        return at < 0 ? text : text.substring(0, at);
    }

    /**
     * How much of {@code text} can be shown while streaming: all of it except a tail that
     * could still grow into a stop string, so a stop string is never half-printed.
     */
    public int safePrefixLength(String text) {
        int at = stopStringIndex(text);
        if (at >= 0) {
            return at;
        }
        int held = 0;
        for (String s : stopStrings) {
            for (int len = Math.min(s.length() - 1, text.length()); len > held; len--) {
                if (text.endsWith(s.substring(0, len))) {
                    held = len;
                    break;
                }
            }
        }
        return text.length() - held;
    }
}
