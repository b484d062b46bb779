package dev.chatforge.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds special tokens in text the way Hugging Face's added-token matcher does (leftmost match,
 * longest token on a tie), before any other splitting: that is why special tokens are never
 * split or merged. Thread-safe once built.
 */
final class SpecialTokenSplitter {
    /** Receives the ordinary text between special tokens, and each special token, in order. */
    interface Sink {
        void text(int start, int end);

        void special(String token);
    }

    private final Map<Character, List<String>> byFirstChar = new HashMap<>();

    SpecialTokenSplitter(Iterable<String> tokens) {
        for (String token : tokens) {
            if (!token.isEmpty()) {
                byFirstChar.computeIfAbsent(token.charAt(0), c -> new ArrayList<>()).add(token);
            }
        }
        byFirstChar.values().forEach(l -> l.sort((a, b) -> b.length() - a.length()));
    }

    /** True when {@code text} holds any of the tokens. */
    boolean contains(String text) {
        for (int i = 0; i < text.length(); i++) {
            List<String> candidates = byFirstChar.get(text.charAt(i));
            if (candidates != null) {
                for (String token : candidates) {
                    if (text.startsWith(token, i)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    void split(String text, Sink sink) {
        int segmentStart = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            List<String> candidates = byFirstChar.get(text.charAt(i));
            if (candidates == null) {
                continue;
            }
            for (String token : candidates) {
                if (text.startsWith(token, i)) {
                    if (i > segmentStart) {
                        sink.text(segmentStart, i);
                    }
                    sink.special(token);
                    i += token.length() - 1;
                    segmentStart = i + 1;
                    break;
                }
            }
        }
        if (n > segmentStart) {
            sink.text(segmentStart, n);
        }
    }
}
